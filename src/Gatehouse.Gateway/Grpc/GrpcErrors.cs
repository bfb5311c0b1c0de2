using System.Text;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Grpc;

/// <summary>
/// Errors the gateway answers itself, told to a gRPC client as a gRPC status: HTTP 200, a trailers-only response
/// (one HEADERS frame with END_STREAM carrying <c>grpc-status</c> and <c>grpc-message</c>) instead of problem JSON,
/// which a gRPC client could only report as an HTTP-derived UNKNOWN or INTERNAL. The mapping is a public contract
/// (docs/configuration.md, "gRPC").
/// </summary>
internal static class GrpcErrors
{
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";

    // Canonical codes (grpc/doc/statuscodes.md).
    public const int Internal = 13;
    public const int DeadlineExceeded = 4;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int Unimplemented = 12;
    public const int Unavailable = 14;
    public const int Unauthenticated = 16;

    /// <summary>The gRPC status code a gateway error is reported as.</summary>
    public static int Status(GatewayError error) => error switch
    {
        // What a gRPC server answers for a method it does not serve; gRPC's own HTTP mapping turns 404 into it too.
        GatewayError.ServiceNotFound or GatewayError.ApiNotFound => Unimplemented,
        GatewayError.NoAvailableNode or GatewayError.NoConfig or GatewayError.UpstreamUnreachable or GatewayError.CircuitOpen
            or GatewayError.NonceStoreUnavailable or GatewayError.LoginCheckUnavailable => Unavailable,
        GatewayError.UpstreamTimeout or GatewayError.RequestTimeout => DeadlineExceeded,
        GatewayError.RateLimited or GatewayError.PayloadTooLarge or GatewayError.HeadersTooLarge
            or GatewayError.ResponseTooLarge => ResourceExhausted,
        GatewayError.Unauthorized or GatewayError.BadSignature => Unauthenticated,
        GatewayError.Forbidden => PermissionDenied,
        // Malformed requests are protocol errors, which gRPC reports as INTERNAL (and its HTTP mapping turns 400
        // into); INVALID_ARGUMENT is the service's judgement of a well-formed request's arguments.
        _ => Internal,
    };

    /// <summary>
    /// Writes the trailers-only answer. Headers set before (X-Request-Id, Retry-After) stay; nothing is written
    /// to the body, so Kestrel ends the HTTP/2 stream with the HEADERS frame itself.
    /// </summary>
    public static void Write(HttpContext context, GatewayError error, string? detail)
    {
        var response = context.Response;
        var status = Status(error);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers[StatusHeader] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The stable code first, so a client's error text can be looked up in docs and logs.
        response.Headers[MessageHeader] = EncodeMessage(GatewayErrors.Code(error) + ": " + (detail ?? GatewayErrors.Title(error)));
        var telemetry = context.Features.Get<Observability.RequestTelemetry>();
        if (telemetry is not null)
        {
            telemetry.GrpcStatusCode = status;
        }
    }

    /// <summary>
    /// Percent-encodes a <c>grpc-message</c> (gRPC over HTTP/2, "Responses"): the UTF-8 bytes outside
    /// printable ASCII, and '%' itself, become %XX.
    /// </summary>
    internal static string EncodeMessage(string message)
    {
        var plain = true;
        foreach (var c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return message;
        }

        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E or (byte)'%')
            {
                builder.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }

    private static ReadOnlySpan<char> HexUpper => "0123456789ABCDEF";
}
