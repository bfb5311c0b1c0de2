using System.Text.Json;
using Gatehouse.Dubbo.Client;
using Gatehouse.Dubbo.Json;
using Gatehouse.Dubbo.Protocol;
using Gatehouse.Gateway.Forwarding.Rpc;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding.Dubbo;

/// <summary>
/// The forwarding stage for APIs with <c>protocol: dubbo</c>: converts the HTTP request into a Dubbo call to the chosen
/// node (a <c>dubbo://host:port</c> provider) and the result into a JSON response, through the steps of
/// <see cref="RpcForwarder{TApi, TArguments, TResponse}"/>.
/// </summary>
/// <remarks>
/// Dubbo's part: the arguments are bound from the JSON body, path and query by the declared parameter types; the
/// call context travels as attachments; the result is streamed as JSON, a Java exception becomes 502
/// <c>upstream_error</c> problem JSON naming its class and message, and so does a status other than 20 (a timeout
/// status is a timeout).
/// </remarks>
internal sealed partial class DubboForwarder(IDubboInvoker invoker, ILogger<DubboForwarder> logger)
    : RpcForwarder<DubboApiModel, object?[], DubboResponse>
{
    /// <inheritdoc/>
    protected override string Protocol => "Dubbo";

    /// <inheritdoc/>
    protected override async Task<object?[]> BindAsync(HttpContext context, DubboApiModel api, PathString upstreamPath)
    {
        using var document = await RpcRequestValues.ReadJsonBodyAsync(context);
        return DubboArgumentBinder.Bind(api, document?.RootElement, context.Request, upstreamPath);
    }

    /// <inheritdoc/>
    protected override string[] ContextHeaders(DubboApiModel api) => api.AttachHeaders;

    /// <inheritdoc/>
    protected override Task<DubboResponse> InvokeAsync(NodeModel node, DubboApiModel api, object?[] arguments,
        List<KeyValuePair<string, string>> callContext, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var invocation = new DubboInvocation(api.Interface, api.Version, api.Group, api.Method, api.Descriptor, arguments, callContext);
        return invoker.InvokeAsync(node.Address.Host, node.Address.Port, invocation, timeout, cancellationToken);
    }

    /// <inheritdoc/>
    protected override async ValueTask<ForwardResult> WriteResultAsync(HttpContext context, NodeModel node, DubboApiModel api,
        DubboResponse response)
    {
        if (response.Kind == DubboResponseKind.Exception)
        {
            var exception = DubboExceptionInfo.From(response.Value);
            await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, exception.ToString());
            return Completed;
        }

        StartJsonResult(context.Response);
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            DubboJson.WriteJson(writer, response.Value);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        return Completed;
    }

    /// <inheritdoc/>
    protected override RpcFailure Classify(Exception exception) => exception switch
    {
        DubboConnectException => RpcFailure.ConnectFailed,
        DubboTimeoutException or DubboStatusException { Status: DubboStatus.ServerTimeout or DubboStatus.ClientTimeout } => RpcFailure.Timeout,
        DubboStatusException => RpcFailure.ServerError,
        DubboConnectionLostException or DubboProtocolException or IOException => RpcFailure.UpstreamFailed,
        _ => RpcFailure.Unexpected,
    };

    /// <inheritdoc/>
    protected override Task WriteServerErrorAsync(HttpContext context, NodeModel node, DubboApiModel api, Exception exception)
    {
        var status = (DubboStatusException)exception;
        Log.ProviderError(logger, api.Interface, api.Method, node.Id, (int)status.Status, status.ProviderMessage);
        return ProblemWriter.WriteAsync(context, GatewayError.UpstreamError,
            $"Dubbo status {(int)status.Status} ({status.Status}): {status.ProviderMessage}");
    }

    /// <inheritdoc/>
    protected override void LogCallFailed(NodeModel node, DubboApiModel api, ForwarderError error, string reason)
        => Log.CallFailed(logger, api.Interface, api.Method, node.Id, error, reason);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1451, Level = LogLevel.Warning, Message = "Dubbo call {Interface}.{Method} at {Node} failed ({Error}): {Reason}")]
        public static partial void CallFailed(ILogger logger, string @interface, string method, string node, ForwarderError error, string reason);

        [LoggerMessage(EventId = 1452, Level = LogLevel.Information, Message = "Dubbo call {Interface}.{Method} at {Node} answered status {Status}: {Reason}")]
        public static partial void ProviderError(ILogger logger, string @interface, string method, string node, int status, string reason);
    }
}
