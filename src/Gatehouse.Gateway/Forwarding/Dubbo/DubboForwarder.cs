using System.Text.Json;
using Gatehouse.Dubbo.Client;
using Gatehouse.Dubbo.Json;
using Gatehouse.Dubbo.Protocol;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Forwarding.Dubbo;

/// <summary>
/// The forwarding stage for APIs with <c>protocol: dubbo</c>: converts the HTTP request into a Dubbo call to the chosen
/// node (a <c>dubbo://host:port</c> provider) and the result into a JSON response. Reports failures as
/// <see cref="ForwarderError"/> values exactly like <see cref="HttpForwarder"/>, so retries, breakers, passive
/// health, metrics and the access log treat both alike.
/// </summary>
/// <remarks>
/// Steps, marked in code: (1) read the JSON body once per request (kept for retries) and bind the arguments;
/// (2) attachments: the configured headers, the request id and the attempt's trace context; (3) call, bounded by the
/// response-headers timeout and the whole-request deadline; (4) write the result as JSON, or a Java exception as 502
/// <c>upstream_error</c> problem JSON naming its class and message.
/// </remarks>
internal sealed partial class DubboForwarder(IDubboInvoker invoker, ILogger<DubboForwarder> logger)
{
    private static readonly object s_argumentsKey = new();

    public async ValueTask<ForwardResult> ForwardAsync(HttpContext context, NodeModel node, PathString upstreamPath, DubboApiModel api,
        ForwardOptions options, CancellationToken deadline)
    {
        var requestId = RequestHeaderCopier.ResolveRequestId(context);

        // :: Step 1: arguments, bound once and reused by a retry on another node (the body can be read only once).
        object?[] arguments;
        if (context.Items.TryGetValue(s_argumentsKey, out var cached))
        {
            arguments = (object?[])cached!;
        }
        else
        {
            try
            {
                arguments = await BindAsync(context, api, upstreamPath);
            }
            catch (Exception e) when (e is FormatException or JsonException)
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

            context.Items[s_argumentsKey] = arguments;
        }

        // :: Step 2: attachments.
        var attachments = Rpc.RpcRequestValues.CallContext(context, api.AttachHeaders, requestId);

        // :: Step 3: the call.
        var invocation = new DubboInvocation(api.Interface, api.Version, api.Group, api.Method, api.Descriptor, arguments, attachments);
        var timeout = options.ResponseHeadersTimeout <= TimeSpan.Zero ? Timeout.InfiniteTimeSpan : options.ResponseHeadersTimeout;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline);
        DubboResponse response;
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
        if (response.Kind == DubboResponseKind.Exception)
        {
            var exception = DubboExceptionInfo.From(response.Value);
            await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, exception.ToString());
            return new ForwardResult(ForwarderError.None, null, false);
        }

        try
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
            {
                DubboJson.WriteJson(writer, response.Value);
            }

            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
            return new ForwardResult(ForwarderError.None, null, false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            context.Abort();
            return new ForwardResult(ForwarderError.ResponseBodyClient, e, false);
        }
    }

    private static async Task<object?[]> BindAsync(HttpContext context, DubboApiModel api, PathString path)
    {
        using var document = await Rpc.RpcRequestValues.ReadJsonBodyAsync(context);
        return DubboArgumentBinder.Bind(api, document?.RootElement, context.Request, path);
    }

    private async ValueTask<ForwardResult> FailAsync(HttpContext context, NodeModel node, DubboApiModel api, Exception e,
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
            case DubboConnectException:
                error = ForwarderError.ConnectFailed;
                break;
            case DubboTimeoutException:
            case DubboStatusException { Status: DubboStatus.ServerTimeout or DubboStatus.ClientTimeout }:
                error = ForwarderError.ResponseHeadersTimeout;
                break;
            case DubboStatusException status:
                // The provider answered, with an error of its own: relayed as 502 upstream_error naming it.
                Log.ProviderError(logger, api.Interface, api.Method, node.Id, (int)status.Status, status.ProviderMessage);
                await ProblemWriter.WriteAsync(context, GatewayError.UpstreamError,
                    $"Dubbo status {(int)status.Status} ({status.Status}): {status.ProviderMessage}");
                return new ForwardResult(ForwarderError.None, null, false);
            case DubboConnectionLostException or DubboProtocolException or IOException:
                error = ForwarderError.UpstreamFailed;
                break;
            default:
                throw new InvalidOperationException($"Dubbo call to {node.Id} failed unexpectedly", e);
        }

        Log.CallFailed(logger, api.Interface, api.Method, node.Id, error, e.Message);
        // Nothing of the client's request is streamed: the arguments are kept, so a retry can resend them.
        return new ForwardResult(error, e, false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1451, Level = LogLevel.Warning, Message = "Dubbo call {Interface}.{Method} at {Node} failed ({Error}): {Reason}")]
        public static partial void CallFailed(ILogger logger, string @interface, string method, string node, ForwarderError error, string reason);

        [LoggerMessage(EventId = 1452, Level = LogLevel.Information, Message = "Dubbo call {Interface}.{Method} at {Node} answered status {Status}: {Reason}")]
        public static partial void ProviderError(ILogger logger, string @interface, string method, string node, int status, string reason);
    }
}
