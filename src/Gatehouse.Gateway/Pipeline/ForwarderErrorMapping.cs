using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>Maps a forwarding failure to the error the client is told about (see <see cref="ForwarderError"/>).</summary>
internal static class ForwarderErrorMapping
{
    /// <summary>Null when the client is gone (nothing to write) or there was no error.</summary>
    public static GatewayError? ToGatewayError(ForwarderError error) => error switch
    {
        ForwarderError.None => null,
        ForwarderError.ConnectFailed or ForwarderError.UpstreamFailed or ForwarderError.RequestBodyUpstream
            or ForwarderError.ResponseBodyUpstream or ForwarderError.UpgradeFailed => GatewayError.UpstreamUnreachable,
        ForwarderError.ConnectTimeout or ForwarderError.ResponseHeadersTimeout or ForwarderError.IdleTimeout
            or ForwarderError.RequestTimeout => GatewayError.UpstreamTimeout,
        ForwarderError.RequestBodyMalformed or ForwarderError.RequestNotSupported => GatewayError.BadRequest,
        ForwarderError.RequestBodyTooLarge => GatewayError.PayloadTooLarge,
        ForwarderError.RequestBodyTimeout => GatewayError.RequestTimeout,
        ForwarderError.ResponseBodyTooLarge => GatewayError.ResponseTooLarge,
        _ when HttpForwarder.IsClientSide(error) => null,
        _ => GatewayError.UpstreamUnreachable,
    };
}
