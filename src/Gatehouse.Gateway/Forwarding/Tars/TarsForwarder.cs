using System.Buffers;
using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding.Rpc;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Gatehouse.Tars.Client;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Json;
using Gatehouse.Tars.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding.Tars;

/// <summary>
/// The forwarding stage for APIs with <c>protocol: tars</c>: converts the HTTP request into a Tars call to the chosen
/// node (a <c>tars://host:port</c> server) and the result into a JSON response. Reports failures as
/// <see cref="ForwarderError"/> values exactly like <see cref="HttpForwarder"/> and the Dubbo forwarder, so retries,
/// breakers, passive health, metrics and the access log treat all alike.
/// </summary>
/// <remarks>
/// Steps, marked in code: (1) read the body once per request (kept for retries): TUP mode binds and encodes the
/// named arguments, JSON mode checks the body is JSON and passes it through; (2) context: the configured headers, the
/// request id and the attempt's trace context; (3) call, bounded by the response-headers timeout and the
/// whole-request deadline; (4) write the result as JSON, or a return code other than 0 as problem JSON
/// (docs/protocols.md lists each code's status).
/// </remarks>
internal sealed partial class TarsForwarder(ITarsInvoker invoker, ILogger<TarsForwarder> logger)
{
    private static readonly object s_bufferKey = new();

    public async ValueTask<ForwardResult> ForwardAsync(HttpContext context, NodeModel node, PathString upstreamPath, TarsApiModel api,
        ForwardOptions options, CancellationToken deadline)
    {
        var requestId = RequestHeaderCopier.ResolveRequestId(context);

        // :: Step 1: the encoded arguments, made once and reused by a retry on another node (the body can be read only once).
        byte[] buffer;
        if (context.Items.TryGetValue(s_bufferKey, out var cached))
        {
            buffer = (byte[])cached!;
        }
        else
        {
            try
            {
                buffer = api.Mode == TarsMode.Tup ? await BindAsync(context, api, upstreamPath) : await ReadJsonAsync(context);
            }
            catch (FormatException e)
            {
                await ProblemWriter.WriteAsync(context, GatewayError.BadRequest, e.Message);
                return new ForwardResult(ForwarderError.None, null, false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
            {
                return new ForwardResult(context.RequestAborted.IsCancellationRequested ? ForwarderError.RequestCanceled
                    : e is BadHttpRequestException { StatusCode: 413 } ? ForwarderError.RequestBodyTooLarge
                    : ForwarderError.RequestBodyClient, e, false);
            }

            context.Items[s_bufferKey] = buffer;
        }

        // :: Step 2: context.
        var callContext = RpcRequestValues.CallContext(context, api.ContextHeaders, requestId);

        // :: Step 3: the call.
        var version = api.Mode == TarsMode.Tup ? TarsVersion.TupSimple : TarsVersion.Json;
        var invocation = new TarsInvocation(version, api.Servant, api.Function, buffer, callContext);
        var timeout = options.ResponseHeadersTimeout <= TimeSpan.Zero ? Timeout.InfiniteTimeSpan : options.ResponseHeadersTimeout;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline);
        TarsResponse response;
        try
        {
            response = await invoker.InvokeAsync(node.Address.Host, node.Address.Port, invocation, timeout, linked.Token);
        }
        catch (Exception e)
        {
            return await FailAsync(context, node, api, e, deadline);
        }

        // :: Step 4: the result.
        context.Response.Headers[HeaderRules.RequestId] = requestId;
        ReadOnlyMemory<byte> body;
        if (api.Mode == TarsMode.Json)
        {
            body = response.Buffer.Length == 0 ? "null"u8.ToArray() : response.Buffer;
        }
        else
        {
            // Decoded in full before anything is sent, so an undecodable result is still a clean 502.
            var output = new ArrayBufferWriter<byte>(Math.Max(256, response.Buffer.Length * 2));
            try
            {
                using var writer = new Utf8JsonWriter(output);
                TarsTupJson.WriteResult(api.Schema!, response.Buffer, writer);
            }
            catch (TarsFormatException e)
            {
                Log.CallFailed(logger, api.Servant, api.Function, node.Id, ForwarderError.UpstreamFailed, e.Message);
                await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError,
                    $"the result of {api.Servant}.{api.Function} does not match its declared types: {e.Message}");
                return new ForwardResult(ForwarderError.None, null, false);
            }

            body = output.WrittenMemory;
        }

        try
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
            return new ForwardResult(ForwarderError.None, null, false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            context.Abort();
            return new ForwardResult(ForwarderError.ResponseBodyClient, e, false);
        }
    }

    private static async Task<byte[]> BindAsync(HttpContext context, TarsApiModel api, PathString path)
    {
        using var document = await RpcRequestValues.ReadJsonBodyAsync(context);
        return TarsArgumentBinder.Bind(api, document?.RootElement, context.Request, path);
    }

    /// <summary>JSON mode: the body as it is (an empty body is <c>{}</c>), checked to be JSON so the server is not sent junk.</summary>
    private static async Task<byte[]> ReadJsonAsync(HttpContext context)
    {
        using var body = await RpcRequestValues.ReadBodyAsync(context);
        if (body.Length == 0)
        {
            return "{}"u8.ToArray();
        }

        var bytes = body.ToArray();
        try
        {
            var reader = new Utf8JsonReader(bytes);
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"the request body is not JSON: {e.Message}", e);
        }

        return bytes;
    }

    private async ValueTask<ForwardResult> FailAsync(HttpContext context, NodeModel node, TarsApiModel api, Exception e,
        CancellationToken deadline)
    {
        ForwarderError error;
        switch (e)
        {
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return new ForwardResult(ForwarderError.RequestCanceled, e, false);
            case OperationCanceledException when deadline.IsCancellationRequested:
                error = ForwarderError.RequestTimeout;
                break;
            case TarsConnectException:
                error = ForwarderError.ConnectFailed;
                break;
            case TarsTimeoutException:
            case TarsReturnCodeException { ReturnCode: TarsReturnCodes.QueueTimeout or TarsReturnCodes.InvokeTimeout }:
                // The server's own timeouts are timeouts to the client too: 504, and counted as such by health and breakers.
                error = ForwarderError.ResponseHeadersTimeout;
                break;
            case TarsReturnCodeException code:
                // The server answered, with a return code of its own: relayed as 502 upstream_error naming it.
                Log.ServerError(logger, api.Servant, api.Function, node.Id, code.ReturnCode, code.ServerMessage);
                await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, code.Message);
                return new ForwardResult(ForwarderError.None, null, false);
            case TarsConnectionLostException or TarsProtocolException or IOException:
                error = ForwarderError.UpstreamFailed;
                break;
            default:
                throw new InvalidOperationException($"Tars call to {node.Id} failed unexpectedly", e);
        }

        Log.CallFailed(logger, api.Servant, api.Function, node.Id, error, e.Message);
        // Nothing of the client's request is streamed: the arguments are kept, so a retry can resend them.
        return new ForwardResult(error, e, false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1461, Level = LogLevel.Warning, Message = "Tars call {Servant}.{Function} at {Node} failed ({Error}): {Reason}")]
        public static partial void CallFailed(ILogger logger, string servant, string function, string node, ForwarderError error, string reason);

        [LoggerMessage(EventId = 1462, Level = LogLevel.Information, Message = "Tars call {Servant}.{Function} at {Node} answered return code {Code}: {Reason}")]
        public static partial void ServerError(ILogger logger, string servant, string function, string node, int code, string reason);
    }
}
