using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// The forwarding stage for APIs with <c>protocol: grpcTranscoding</c>: turns the HTTP/JSON request into a gRPC call to
/// the chosen node over HTTP/2 (through the API's pooled invoker) and the reply into JSON. Failures are
/// <see cref="ForwarderError"/> values exactly as for <see cref="HttpForwarder"/>, so retries, breakers, passive health,
/// metrics and the access log treat transcoded calls like any other; the node's <c>grpc-status</c> is recorded as the
/// call's gRPC status.
/// </summary>
/// <remarks>
/// Steps, marked in code: (1) pick the route and build the request message, once per request (kept for a retry);
/// (2) the call, bounded by the response-headers timeout and the whole-request deadline; (3) the reply: one message as
/// JSON for a unary method, NDJSON or SSE for a server-streaming one; a gRPC error as problem JSON with the HTTP status
/// of its code, or, once a stream has started, as its last record.
/// </remarks>
internal sealed partial class TranscodingForwarder(ILogger<TranscodingForwarder> logger)
{
    /// <summary>Larger replies are refused: a JSON rendering of them would not be useful to an HTTP client anyway.</summary>
    internal const int MaxMessageBytes = 64 * 1024 * 1024;

    private static readonly object s_callKey = new();
    private static readonly MediaTypeHeaderValue GrpcContentType = new("application/grpc");

    public async ValueTask<ForwardResult> ForwardAsync(HttpContext context, NodeModel node, PathString upstreamPath, TranscodingApiModel api,
        HttpMessageInvoker invoker, ForwardOptions options, CancellationToken deadline)
    {
        var requestId = RequestHeaderCopier.ResolveRequestId(context);

        // :: Step 1: the route and the request message, once; a retry on another node resends the same bytes.
        if (!context.Items.TryGetValue(s_callKey, out var cached))
        {
            var (call, result) = await PrepareAsync(context, api, upstreamPath);
            if (call is null)
            {
                return result;
            }

            context.Items[s_callKey] = cached = call;
        }

        var prepared = (PreparedCall)cached!;
        var route = prepared.Route;

        // :: Step 2: the call, HTTP/2 whatever the node's protocol setting (gRPC has no other transport).
        using var request = new HttpRequestMessage(HttpMethod.Post, node.BaseAddress + route.GrpcPath)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        RequestHeaderCopier.Copy(context, request, isUpgrade: false, requestId);
        request.Headers.Remove("TE");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        request.Headers.Remove("Accept");
        request.Content = new ByteArrayContent(prepared.Frame);
        request.Content.Headers.ContentType = GrpcContentType;

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline);
        if (options.ResponseHeadersTimeout > TimeSpan.Zero)
        {
            linked.CancelAfter(options.ResponseHeadersTimeout);
        }

        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(request, linked.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            var error = deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested
                ? ForwarderError.RequestTimeout
                : HttpForwarder.ClassifySendFailure(e, null, context.RequestAborted.IsCancellationRequested,
                    linked.IsCancellationRequested, requestBodyStarted: false);
            Log.CallFailed(logger, route.Method.FullName, node.Id, error, e.Message);
            return new ForwardResult(error, e, false);
        }

        // The headers came in time; a stream may now run as long as the deadline allows.
        linked.CancelAfter(Timeout.InfiniteTimeSpan);
        using (response)
        {
            context.Response.Headers[HeaderRules.RequestId] = requestId;
            return await RelayAsync(context, node, api, route, response, linked.Token, deadline);
        }
    }

    private async ValueTask<ForwardResult> RelayAsync(HttpContext context, NodeModel node, TranscodingApiModel api, TranscodingRoute route,
        HttpResponseMessage response, CancellationToken token, CancellationToken deadline)
    {
        // :: Step 3: the reply.
        if (response.StatusCode != HttpStatusCode.OK || !GrpcStatus.IsGrpcRequest(response.Content.Headers.ContentType?.ToString()))
        {
            Log.NotGrpc(logger, route.Method.FullName, node.Id, (int)response.StatusCode);
            await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError,
                $"The node answered HTTP {(int)response.StatusCode} ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}), not gRPC.");
            return new ForwardResult(ForwarderError.None, null, false);
        }

        var status = GrpcReply.HeaderStatus(response);
        var stream = route.ServerStreaming ? StreamFormat.For(context.Request) : null;
        var messages = 0;
        ReadOnlyMemory<byte> unary = default;
        if (status is null)
        {
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(token);
                var compressed = response.Headers.TryGetValues("grpc-encoding", out var encodings) ? string.Join(",", encodings) : null;
                while (await GrpcReply.ReadMessageAsync(body, compressed, token) is { } message)
                {
                    messages++;
                    if (stream is null)
                    {
                        unary = message;
                        continue;
                    }

                    if (messages == 1)
                    {
                        stream.Start(context.Response);
                    }

                    await stream.WriteAsync(context, api.Codec, route, message);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
            {
                return await FailMidCallAsync(context, node, route, e, deadline);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException)
            {
                // The node answered, but not with messages we can read (malformed, over the size limit, an unknown
                // compression): its fault, told as such before the response started, a reset after.
                Log.BadReply(logger, route.Method.FullName, node.Id, e.Message);
                if (context.Response.HasStarted)
                {
                    context.Abort();
                    return new ForwardResult(ForwarderError.ResponseBodyUpstream, e, false);
                }

                await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, $"The reply of {route.Method.FullName} could not be read: {e.Message}");
                return new ForwardResult(ForwarderError.None, null, false);
            }

            status = GrpcReply.TrailerStatus(response);
        }

        var code = status.Value.Code;
        if (context.Features.Get<RequestTelemetry>() is { } telemetry)
        {
            telemetry.GrpcStatusCode = code;
        }

        try
        {
            if (code != 0)
            {
                if (stream is not null && context.Response.HasStarted)
                {
                    await stream.WriteErrorAsync(context, api, status.Value);
                }
                else
                {
                    await TranscodingErrors.WriteAsync(context, api, status.Value);
                }
            }
            else if (stream is not null)
            {
                if (!context.Response.HasStarted)
                {
                    stream.Start(context.Response);
                }

                await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
            }
            else if (messages != 1)
            {
                await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError,
                    $"{route.Method.FullName} answered OK with {messages} messages; a unary call has exactly one.");
            }
            else
            {
                await WriteUnaryAsync(context, api, route, unary);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            context.Abort();
            return new ForwardResult(ForwarderError.ResponseBodyClient, e, false);
        }
        catch (FormatException e)
        {
            Log.BadReply(logger, route.Method.FullName, node.Id, e.Message);
            await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, $"The reply of {route.Method.FullName} could not be read: {e.Message}");
        }

        return new ForwardResult(ForwarderError.None, null, false);
    }

    private static async Task WriteUnaryAsync(HttpContext context, TranscodingApiModel api, TranscodingRoute route, ReadOnlyMemory<byte> message)
    {
        // Rendered first, so a reply that cannot be read is still a clean 502 rather than a half-written body.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            TranscodingOutput.Write(api.Codec, route, message, writer);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private ValueTask<ForwardResult> FailMidCallAsync(HttpContext context, NodeModel node, TranscodingRoute route, Exception e,
        CancellationToken deadline)
    {
        ForwarderError error;
        if (context.RequestAborted.IsCancellationRequested)
        {
            error = ForwarderError.ResponseBodyClient;
        }
        else if (deadline.IsCancellationRequested)
        {
            error = ForwarderError.RequestTimeout;
        }
        else
        {
            error = ForwarderError.ResponseBodyUpstream;
            Log.CallFailed(logger, route.Method.FullName, node.Id, error, e.Message);
        }

        // Nothing of the reply reached the client yet: the handler answers with the error's status. Otherwise the
        // stream is reset: a client must not mistake a cut stream for a complete one.
        if (context.Response.HasStarted)
        {
            context.Abort();
        }

        return ValueTask.FromResult(new ForwardResult(error, e, false));
    }

    private static async Task<(PreparedCall? Call, ForwardResult Result)> PrepareAsync(HttpContext context, TranscodingApiModel api, PathString path)
    {
        var none = new ForwardResult(ForwarderError.None, null, false);
        var route = api.Match(context.Request.Method, path.Value ?? "/", out var values, out var pathKnown);
        if (route is null)
        {
            await ProblemWriter.WriteAsync(context, GatewayError.ApiNotFound, pathKnown
                ? $"The path '{path.Value}' is bound to gRPC, but not for {context.Request.Method}."
                : $"No gRPC method is bound to '{path.Value}'.");
            return (null, none);
        }

        try
        {
            JsonNode? body = null;
            if (route.Body is not null && HttpForwarder.HasRequestBody(context.Request))
            {
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            }

            var json = TranscodingRequestBinder.Bind(route, body, values, context.Request.Query);
            var message = api.Codec.Encode(route.Method.InputType, json);
            var frame = new byte[message.Length + 5];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
            message.CopyTo(frame, 5);
            return (new PreparedCall(route, frame), none);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            await ProblemWriter.WriteAsync(context, GatewayError.BadRequest,
                e is JsonException ? $"the request body is not JSON: {e.Message}" : e.Message);
            return (null, none);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
        {
            return (null, new ForwardResult(context.RequestAborted.IsCancellationRequested ? ForwarderError.RequestCanceled
                : e is BadHttpRequestException { StatusCode: 413 } ? ForwarderError.RequestBodyTooLarge
                : ForwarderError.RequestBodyClient, e, false));
        }
    }

    /// <summary>What a retry reuses: the route and the framed request message.</summary>
    private sealed record PreparedCall(TranscodingRoute Route, byte[] Frame);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1461, Level = LogLevel.Warning, Message = "Transcoded call {Method} at {Node} failed ({Error}): {Reason}")]
        public static partial void CallFailed(ILogger logger, string method, string node, ForwarderError error, string reason);

        [LoggerMessage(EventId = 1462, Level = LogLevel.Warning, Message = "Transcoded call {Method} at {Node}: the node answered HTTP {Status}, not gRPC")]
        public static partial void NotGrpc(ILogger logger, string method, string node, int status);

        [LoggerMessage(EventId = 1463, Level = LogLevel.Warning, Message = "Transcoded call {Method} at {Node}: the reply could not be read: {Reason}")]
        public static partial void BadReply(ILogger logger, string method, string node, string reason);
    }
}
