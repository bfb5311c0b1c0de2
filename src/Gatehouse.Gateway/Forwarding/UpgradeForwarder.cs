using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Relays an HTTP/1.1 upgrade (WebSocket and any other protocol, RFC 9110 §7.8) once the node answered 101:
/// upgrades the client connection, then tunnels bytes both ways until either side closes.
/// </summary>
internal static class UpgradeForwarder
{
    /// <summary>
    /// Completes the upgrade and runs the tunnel. Returns <see cref="ForwarderError.None"/> when one side closed
    /// cleanly. Either side closing ends the tunnel for both: WebSocket closes are initiated by a Close frame and
    /// completed by the server closing TCP (RFC 6455 §7.1.1), so nothing is lost in the other direction.
    /// </summary>
    /// <param name="context">The client exchange.</param>
    /// <param name="upgradeFeature">Kestrel's upgrade feature for the client connection.</param>
    /// <param name="upstreamResponse">The node's 101 response; its content stream is the raw duplex connection.</param>
    /// <param name="activity">Cancellation and idle timeout of the exchange.</param>
    /// <param name="requestId">Restored on the response if the upgrade fails before it started.</param>
    public static async ValueTask<ForwardResult> TunnelAsync(HttpContext context, IHttpUpgradeFeature upgradeFeature,
        HttpResponseMessage upstreamResponse, ForwarderCancellationSource activity, string requestId)
    {
        Stream upstreamStream;
        try
        {
            ResponseHeaderCopier.CopyStatusAndHeaders(upstreamResponse, context, isUpgrade: true);
            upstreamStream = await upstreamResponse.Content.ReadAsStreamAsync(activity.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            context.Response.Clear();
            context.Response.Headers[HeaderRules.RequestId] = requestId;
            return new ForwardResult(ForwarderError.UpgradeFailed, ex, false);
        }

        Stream clientStream;
        try
        {
            // Sends the 101 with the copied headers (Kestrel adds Connection: Upgrade).
            clientStream = await upgradeFeature.UpgradeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await upstreamStream.DisposeAsync().ConfigureAwait(false);
            context.Abort();
            var error = context.RequestAborted.IsCancellationRequested ? ForwarderError.RequestCanceled : ForwarderError.UpgradeFailed;
            return new ForwardResult(error, ex, false);
        }

        // The exchange is a long-lived tunnel now; a request timeout set by middleware no longer applies.
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();

        await using (clientStream.ConfigureAwait(false))
        await using (upstreamStream.ConfigureAwait(false))
        {
            var toUpstream = StreamCopier.CopyAsync(clientStream, upstreamStream, activity, flushBeforeFirstWait: false, activity.Token).AsTask();
            var toClient = StreamCopier.CopyAsync(upstreamStream, clientStream, activity, flushBeforeFirstWait: false, activity.Token).AsTask();

            var first = await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
            var outcome = await first.ConfigureAwait(false);
            var timedOut = activity.TimedOut;
            var clientAborted = activity.CanceledByClient || context.RequestAborted.IsCancellationRequested;

            // Stop the other direction and wait for it, so no copy outlives the exchange.
            activity.CancelByForwarder();
            var second = await (first == toUpstream ? toClient : toUpstream).ConfigureAwait(false);

            // The tunnel's bytes (frames and all, as on the wire) count as request and response body bytes, so a
            // WebSocket's traffic shows in the access log and metrics like any other body's.
            if (context.Features.Get<Observability.RequestTelemetry>() is { } telemetry)
            {
                telemetry.AddRequestBytes(first == toUpstream ? outcome.Bytes : second.Bytes);
                telemetry.AddResponseBytes(first == toClient ? outcome.Bytes : second.Bytes);
            }

            if (outcome.Result == StreamCopyResult.Success)
            {
                return new ForwardResult(ForwarderError.None, null, false);
            }

            // Failed on the client's side: its read (client to node) or its write (node to client).
            var clientSide = clientAborted
                || outcome.Result == StreamCopyResult.Canceled
                || (first == toUpstream ? outcome.Result == StreamCopyResult.InputError : outcome.Result == StreamCopyResult.OutputError);
            var error = timedOut && !clientAborted
                ? ForwarderError.IdleTimeout
                : clientSide ? ForwarderError.RequestCanceled : ForwarderError.UpgradeFailed;

            // A tunnel that failed must not look like one that was closed on purpose.
            context.Abort();
            return new ForwardResult(error, outcome.Error, false);
        }
    }
}
