using System.Buffers;
using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding.Rpc;
using Gatehouse.Gateway.Http;
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
/// node (a <c>tars://host:port</c> server) and the result into a JSON response, through the steps of
/// <see cref="RpcForwarder{TApi, TArguments, TResponse}"/>.
/// </summary>
/// <remarks>
/// Tars's part: TUP mode binds and encodes the named arguments, JSON mode checks the body is JSON and passes it
/// through; the call context travels as the request's context; the result is written as JSON, a return code other
/// than 0 as problem JSON (docs/protocols.md lists each code's status).
/// </remarks>
internal sealed partial class TarsForwarder(ITarsInvoker invoker, ILogger<TarsForwarder> logger)
    : RpcForwarder<TarsApiModel, byte[], TarsResponse>
{
    /// <inheritdoc/>
    protected override string Protocol => "Tars";

    /// <inheritdoc/>
    protected override async Task<byte[]> BindAsync(HttpContext context, TarsApiModel api, PathString upstreamPath)
    {
        if (api.Mode != TarsMode.Tup)
        {
            return await ReadJsonAsync(context);
        }

        using var document = await RpcRequestValues.ReadJsonBodyAsync(context);
        return TarsArgumentBinder.Bind(api, document?.RootElement, context.Request, upstreamPath);
    }

    /// <inheritdoc/>
    protected override string[] ContextHeaders(TarsApiModel api) => api.ContextHeaders;

    /// <inheritdoc/>
    protected override Task<TarsResponse> InvokeAsync(NodeModel node, TarsApiModel api, byte[] arguments,
        List<KeyValuePair<string, string>> callContext, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var version = api.Mode == TarsMode.Tup ? TarsVersion.TupSimple : TarsVersion.Json;
        var invocation = new TarsInvocation(version, api.Servant, api.Function, arguments, callContext);
        return invoker.InvokeAsync(node.Address.Host, node.Address.Port, invocation, timeout, cancellationToken);
    }

    /// <inheritdoc/>
    protected override async ValueTask<ForwardResult> WriteResultAsync(HttpContext context, NodeModel node, TarsApiModel api,
        TarsResponse response)
    {
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
                return Completed;
            }

            body = output.WrittenMemory;
        }

        StartJsonResult(context.Response);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        return Completed;
    }

    /// <inheritdoc/>
    protected override RpcFailure Classify(Exception exception) => exception switch
    {
        TarsConnectException => RpcFailure.ConnectFailed,
        TarsTimeoutException or TarsReturnCodeException { ReturnCode: TarsReturnCodes.QueueTimeout or TarsReturnCodes.InvokeTimeout } => RpcFailure.Timeout,
        TarsReturnCodeException => RpcFailure.ServerError,
        TarsConnectionLostException or TarsProtocolException or IOException => RpcFailure.UpstreamFailed,
        _ => RpcFailure.Unexpected,
    };

    /// <inheritdoc/>
    protected override Task WriteServerErrorAsync(HttpContext context, NodeModel node, TarsApiModel api, Exception exception)
    {
        var code = (TarsReturnCodeException)exception;
        Log.ServerError(logger, api.Servant, api.Function, node.Id, code.ReturnCode, code.ServerMessage);
        return ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, code.Message);
    }

    /// <inheritdoc/>
    protected override void LogCallFailed(NodeModel node, TarsApiModel api, ForwarderError error, string reason)
        => Log.CallFailed(logger, api.Servant, api.Function, node.Id, error, reason);

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

    private static partial class Log
    {
        [LoggerMessage(EventId = 1461, Level = LogLevel.Warning, Message = "Tars call {Servant}.{Function} at {Node} failed ({Error}): {Reason}")]
        public static partial void CallFailed(ILogger logger, string servant, string function, string node, ForwarderError error, string reason);

        [LoggerMessage(EventId = 1462, Level = LogLevel.Information, Message = "Tars call {Servant}.{Function} at {Node} answered return code {Code}: {Reason}")]
        public static partial void ServerError(ILogger logger, string servant, string function, string node, int code, string reason);
    }
}
