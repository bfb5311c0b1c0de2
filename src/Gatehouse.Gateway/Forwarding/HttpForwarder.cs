using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Sends one client request to one chosen node and streams the response back. Stateless and thread-safe: one
/// instance serves all requests.
/// </summary>
internal sealed partial class HttpForwarder
{
    private readonly ILogger<HttpForwarder> _logger;
    private readonly ClientErrorLog _clientErrors;

    /// <summary>Creates the forwarder.</summary>
    /// <param name="logger">For failures on the node's or the gateway's side.</param>
    /// <param name="clientErrors">For failures the client caused; by default one of its own on <paramref name="logger"/>.</param>
    public HttpForwarder(ILogger<HttpForwarder> logger, ClientErrorLog? clientErrors = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _clientErrors = clientErrors ?? new ClientErrorLog(logger);
    }

    /// <summary>
    /// Forwards the request in <paramref name="context"/> to <paramref name="node"/> at
    /// <paramref name="upstreamPath"/> plus the original query string, and streams the response into
    /// <c>context.Response</c>. Never writes an error body: on failure it returns what went wrong with the
    /// response still unstarted and clean (only X-Request-Id set) so the caller can write a problem response, or,
    /// when the response had started or the client is gone, after aborting the client connection.
    /// </summary>
    /// <remarks>
    /// Steps, marked in code:
    /// (1) build the upstream request: method, URI, version, body content, headers;
    /// (2) send it, wait for the response headers (response-headers timeout);
    /// (3-A) on 101 to an upgrade request, upgrade the client connection and tunnel both ways;
    /// (3-B) otherwise copy status and headers, (4) stream the body (idle timeout), (5) copy trailers;
    /// (6) make sure the request body copy has ended before the client request is released.
    /// </remarks>
    /// <param name="context">The client exchange; its response must not have started.</param>
    /// <param name="node">The chosen node.</param>
    /// <param name="upstreamPath">The path to request on the node, already stripped by the caller.</param>
    /// <param name="options">Timeouts from the effective policy.</param>
    /// <param name="invoker">From <see cref="UpstreamClientFactory"/>; never an <see cref="HttpClient"/>, which buffers responses.</param>
    /// <param name="deadline">
    /// Canceled when the whole-request timeout expires: <see cref="ForwarderError.RequestTimeout"/>, answered
    /// by the caller before the response started and by a reset after.
    /// </param>
    public async ValueTask<ForwardResult> ForwardAsync(HttpContext context, NodeModel node, PathString upstreamPath,
        ForwardOptions options, HttpMessageInvoker invoker, CancellationToken deadline = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(invoker);
        if (invoker is HttpClient)
        {
            throw new ArgumentException("Use an HttpMessageInvoker: HttpClient buffers response content.", nameof(invoker));
        }

        if (context.Response.HasStarted)
        {
            throw new InvalidOperationException("The response has already started; the request cannot be forwarded.");
        }

        // Resolved first so that every outcome, including the early ones, carries it on the response.
        var requestId = RequestHeaderCopier.ResolveRequestId(context);
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method))
        {
            // NOTE: CONNECT (and HTTP/2 extended CONNECT, RFC 8441) is not forwarded: a tunnel to the node's
            // authority is not what an API gateway offers.
            var notSupported = new NotSupportedException("CONNECT requests are not forwarded.");
            _clientErrors.Report(ClientErrorKind.BadRequest, context, notSupported);
            return new ForwardResult(ForwarderError.RequestNotSupported, notSupported, false);
        }

        var upgradeFeature = context.Features.Get<IHttpUpgradeFeature>();
        var isUpgrade = upgradeFeature is { IsUpgradableRequest: true } && request.Headers.Upgrade.Count > 0;
        if (isUpgrade && node.Protocol == UpstreamProtocol.Http2)
        {
            // HTTP/1.1 Upgrade does not exist in HTTP/2 (RFC 9113 §8.6); an h2c prior-knowledge node speaks
            // nothing else.
            var noUpgrade = new NotSupportedException("Upgrade requests cannot be forwarded to an HTTP/2-only node.");
            Log.ForwardFailed(_logger, ForwarderError.UpgradeFailed, node.Id, noUpgrade);
            return new ForwardResult(ForwarderError.UpgradeFailed, noUpgrade, false);
        }

        var activity = ForwarderCancellationSource.Rent(context.RequestAborted, deadline);
        HttpRequestMessage? upstreamRequest = null;
        HttpResponseMessage? upstreamResponse = null;
        StreamingRequestContent? content = null;
        try
        {
            // :: Step 1: build the upstream request.
            upstreamRequest = new HttpRequestMessage(HttpMethod.Parse(request.Method), BuildUri(node, upstreamPath, request.QueryString));
            if (node.Protocol == UpstreamProtocol.Http2)
            {
                // Exact 2.0 on http:// is h2c with prior knowledge (RFC 9113 §3.3): no Upgrade dance, no fallback.
                upstreamRequest.Version = HttpVersion.Version20;
                upstreamRequest.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }
            else
            {
                upstreamRequest.Version = HttpVersion.Version11;
                upstreamRequest.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
            }

            if (!isUpgrade && HasRequestBody(request))
            {
                content = new StreamingRequestContent(request, activity);
                upstreamRequest.Content = content;
            }

            RequestHeaderCopier.Copy(context, upstreamRequest, isUpgrade, requestId);

            // A buffering layer (response caching, compression) would hold streamed responses back.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            // :: Step 2: send, wait for the response headers.
            activity.SetActivityTimeout(options.ResponseHeadersTimeout);
            try
            {
                upstreamResponse = await invoker.SendAsync(upstreamRequest, activity.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return await HandleSendFailureAsync(context, node, content, activity, ex).ConfigureAwait(false);
            }

            activity.SetActivityTimeout(options.IdleTimeout);
            var status = (int)upstreamResponse.StatusCode;
            var telemetry = context.Features.Get<RequestTelemetry>();
            if (telemetry is not null)
            {
                telemetry.UpstreamStatus = status;
            }

            // A status the caller will retry elsewhere is dropped here, unrelayed, but only while no byte of the
            // request body has gone out (sealing stops a body that has not started from ever starting).
            if (options.DiscardStatuses.Contains(status) && (content is null || content.TrySeal()) && !(content?.Started ?? false))
            {
                return new ForwardResult(ForwarderError.RetryableStatus, null, false, status);
            }

            // :: Step 3-A: upgrade.
            if (isUpgrade && upstreamResponse.StatusCode == HttpStatusCode.SwitchingProtocols)
            {
                var upgradeResult = await UpgradeForwarder.TunnelAsync(context, upgradeFeature!, upstreamResponse, activity, requestId)
                    .ConfigureAwait(false);
                LogResult(context, node, upgradeResult);
                return upgradeResult;
            }

            // :: Step 3-B: status and headers.
            try
            {
                ResponseHeaderCopier.CopyStatusAndHeaders(upstreamResponse, context, isUpgrade: false);
            }
            catch (Exception ex)
            {
                // Kestrel rejects some values the node may send (non-ASCII header values); the node is at fault.
                ResetResponse(context, requestId);
                return Fail(context, node, ForwarderError.UpstreamFailed, ex, content);
            }

            // :: Step 4: body. HEAD, 1xx, 204, 205 and 304 responses have none (RFC 9110 §6.4.1).
            if (ResponseCanHaveBody(request.Method, (int)upstreamResponse.StatusCode))
            {
                // Synchronous on purpose: SocketsHttpHandler's response content already holds its stream and hands
                // it over without I/O either way, but the async variant wraps it in a new Task<Stream> per request.
                var upstreamBody = upstreamResponse.Content.ReadAsStream(activity.Token);
                // Flushing early sends the headers of a response whose body is slow to start (event streams,
                // long polls); a body that is already here goes out with the headers.
                var outcome = await StreamCopier.CopyAsync(upstreamBody, context.Response.BodyWriter, activity,
                    flushBeforeFirstWait: true, activity.Token).ConfigureAwait(false);
                telemetry?.AddResponseBytes(outcome.Bytes);
                if (outcome.Result != StreamCopyResult.Success)
                {
                    return HandleResponseBodyFailure(context, node, content, activity, outcome, requestId);
                }
            }

            // :: Step 5: trailers.
            try
            {
                ResponseHeaderCopier.CopyTrailers(upstreamResponse, context);
            }
            catch (Exception ex)
            {
                // Trailers Kestrel rejects (invalid values): the body was relayed, but without its trailers the
                // response is incomplete (gRPC status), so it must not end cleanly.
                return Fail(context, node, ForwarderError.ResponseBodyUpstream, ex, content, abortClient: true);
            }

            if (telemetry is not null && GrpcStatus.IsGrpcRequest(request.ContentType))
            {
                telemetry.GrpcStatusCode = ReadGrpcStatus(upstreamResponse);
            }

            // :: Step 6: the request body (the response is complete; a body still streaming is no longer wanted).
            if (content is not null && !content.TrySeal())
            {
                if (!content.Completion.IsCompleted)
                {
                    activity.CancelByForwarder();
                }

                var bodyOutcome = await content.Completion.ConfigureAwait(false);
                if (bodyOutcome.Result == StreamCopyResult.InputError)
                {
                    // The response was relayed in full, but the client broke off its own body.
                    return Fail(context, node, ClassifyClientBodyError(bodyOutcome.Error), bodyOutcome.Error, content, abortClient: true);
                }
            }

            return new ForwardResult(ForwarderError.None, null, content?.Started ?? false);
        }
        finally
        {
            // Nothing may read the client body or touch the cancellation source after this method returns.
            if (content is not null && !content.TrySeal() && !content.Completion.IsCompleted)
            {
                activity.CancelByForwarder();
                await content.Completion.ConfigureAwait(false);
            }

            if (content is not null && content.Completion.IsCompletedSuccessfully)
            {
                context.Features.Get<RequestTelemetry>()?.AddRequestBytes(content.Completion.Result.Bytes);
            }

            upstreamResponse?.Dispose();
            upstreamRequest?.Dispose();
            activity.Return();
        }
    }

    /// <summary>The call's <c>grpc-status</c>: from the trailers, else from the headers of a trailers-only response.</summary>
    internal static int ReadGrpcStatus(HttpResponseMessage response)
    {
        if (response.TrailingHeaders.NonValidated.TryGetValues(GrpcStatus.HeaderName, out var trailer))
        {
            return GrpcStatus.Parse(trailer.ToString());
        }

        return response.Headers.NonValidated.TryGetValues(GrpcStatus.HeaderName, out var header)
            ? GrpcStatus.Parse(header.ToString())
            : GrpcStatus.None;
    }

    /// <summary>node.BaseAddress + encoded path + original query, in one string.</summary>
    internal static Uri BuildUri(NodeModel node, PathString upstreamPath, QueryString query)
    {
        // PathString holds the decoded path; ToUriComponent re-escapes what is not valid in a path segment.
        return new Uri(string.Concat(node.BaseAddress, upstreamPath.ToUriComponent(), query.ToUriComponent()), UriKind.Absolute);
    }

    /// <summary>
    /// Whether the client request has a body to stream. Sending content for a request without one would make
    /// the handler add Transfer-Encoding: chunked, which some servers reject on GET.
    /// </summary>
    internal static bool HasRequestBody(HttpRequest request)
    {
        // Kestrel answers this exactly: Content-Length > 0, chunked, or (HTTP/2, HTTP/3) no END_STREAM yet.
        var detection = request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>();
        if (detection is not null)
        {
            return detection.CanHaveBody;
        }

        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length.
        if (request.Headers.TransferEncoding.Count > 0)
        {
            return true;
        }

        return request.ContentLength is > 0;
    }

    private static bool ResponseCanHaveBody(string method, int statusCode)
        => !HttpMethods.IsHead(method) && statusCode >= 200 && statusCode != 204 && statusCode != 205 && statusCode != 304;

    /// <summary>Drops whatever the forwarder put on the unstarted response, keeping the request id for the problem response.</summary>
    private static void ResetResponse(HttpContext context, string requestId)
    {
        context.Response.Clear();
        context.Response.Headers[HeaderRules.RequestId] = requestId;
    }

    private ForwardResult Fail(HttpContext context, NodeModel node, ForwarderError error, Exception? exception,
        StreamingRequestContent? content, bool abortClient = false)
    {
        if (abortClient)
        {
            // The client is gone, stalled, or already received part of a response: a reset is the only honest
            // ending (a clean end would make a truncated body look complete).
            context.Abort();
        }

        var result = new ForwardResult(error, exception, content?.Started ?? false);
        LogResult(context, node, result);
        return result;
    }

    /// <summary>
    /// A failure the client caused goes to <see cref="ClientErrorLog"/>: one rate-limited warning without the
    /// exception, whose stack only shows Kestrel's parser. Everything else is the node's, the network's or the
    /// gateway's, and keeps its exception.
    /// </summary>
    private void LogResult(HttpContext context, NodeModel node, ForwardResult result)
    {
        if (result.Error == ForwarderError.None)
        {
            return;
        }

        if (ClientErrorOf(result.Error) is { } kind)
        {
            _clientErrors.Report(kind, context, result.Exception);
        }
        else
        {
            Log.ForwardFailed(_logger, result.Error, node.Id, result.Exception);
        }
    }
}
