using System.Text.Json;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Forwarding.Rpc;

/// <summary>How a protocol classifies an exception of its client (<see cref="RpcForwarder{TApi, TArguments, TResponse}.Classify"/>).</summary>
internal enum RpcFailure
{
    /// <summary>Not a failure the forwarder expects: a defect, rethrown.</summary>
    Unexpected,

    /// <summary>The server could not be reached; nothing was sent (<see cref="ForwarderError.ConnectFailed"/>).</summary>
    ConnectFailed,

    /// <summary>No answer in time, or the server's own timeout (<see cref="ForwarderError.ResponseHeadersTimeout"/>).</summary>
    Timeout,

    /// <summary>The connection broke or the server broke the protocol (<see cref="ForwarderError.UpstreamFailed"/>).</summary>
    UpstreamFailed,

    /// <summary>The server answered with an error of its own: relayed as 502 <c>upstream_error</c> naming it.</summary>
    ServerError,
}

/// <summary>
/// The forwarding stage of an RPC protocol (Dubbo, Tars): converts the HTTP request into a call to the chosen node and
/// the result into a JSON response, reporting failures as <see cref="ForwarderError"/> values exactly like
/// <see cref="HttpForwarder"/>, so retries, breakers, passive health, metrics and the access log treat all alike.
/// </summary>
/// <typeparam name="TApi">The protocol's compiled API.</typeparam>
/// <typeparam name="TArguments">The bound arguments, kept for a retry.</typeparam>
/// <typeparam name="TResponse">The client's response.</typeparam>
/// <remarks>
/// Steps, marked in code: (1) read the body once per request and bind the arguments (<see cref="BindAsync"/>), kept
/// for a retry on another node since the body can be read only once; a body that does not bind is 400
/// <c>bad_request</c> and no call; (2) the call context: the configured headers, the request id and the attempt's
/// trace context; (3) the call (<see cref="InvokeAsync"/>), bounded by the response-headers timeout and the
/// whole-request deadline, its failure mapped by <see cref="Classify"/>; (4) the result (<see cref="WriteResultAsync"/>).
/// </remarks>
internal abstract class RpcForwarder<TApi, TArguments, TResponse>
    where TArguments : class
{
    // Per closed type: each protocol keeps its own arguments in the request's items.
    private static readonly object s_argumentsKey = new();

    /// <summary>A response written in full by the forwarder (a result or a relayed server error).</summary>
    protected static ForwardResult Completed => new(ForwarderError.None, null, false);

    public async ValueTask<ForwardResult> ForwardAsync(HttpContext context, NodeModel node, PathString upstreamPath, TApi api,
        ForwardOptions options, CancellationToken deadline)
    {
        var requestId = RequestHeaderCopier.ResolveRequestId(context);

        // :: Step 1: arguments, bound once and reused by a retry on another node (the body can be read only once).
        TArguments arguments;
        if (context.Items.TryGetValue(s_argumentsKey, out var cached))
        {
            arguments = (TArguments)cached!;
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
                return Completed;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
            {
                return new ForwardResult(context.RequestAborted.IsCancellationRequested ? ForwarderError.RequestCanceled
                    : e is BadHttpRequestException { StatusCode: 413 } ? ForwarderError.RequestBodyTooLarge
                    : ForwarderError.RequestBodyClient, e, false);
            }

            context.Items[s_argumentsKey] = arguments;
        }

        // :: Step 2: the call context.
        var callContext = RpcRequestValues.CallContext(context, ContextHeaders(api), requestId);

        // :: Step 3: the call.
        var timeout = options.ResponseHeadersTimeout <= TimeSpan.Zero ? Timeout.InfiniteTimeSpan : options.ResponseHeadersTimeout;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline);
        TResponse response;
        try
        {
            response = await InvokeAsync(node, api, arguments, callContext, timeout, linked.Token);
        }
        catch (Exception e)
        {
            return await FailAsync(context, node, api, e, deadline);
        }

        // :: Step 4: the result.
        context.Response.Headers[HeaderRules.RequestId] = requestId;
        try
        {
            return await WriteResultAsync(context, node, api, response);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            context.Abort();
            return new ForwardResult(ForwarderError.ResponseBodyClient, e, false);
        }
    }

    /// <summary>The protocol's name, for messages.</summary>
    protected abstract string Protocol { get; }

    /// <summary>Reads the body and binds the arguments of <paramref name="api"/>; a <see cref="FormatException"/> or <see cref="JsonException"/> is the client's mistake.</summary>
    protected abstract Task<TArguments> BindAsync(HttpContext context, TApi api, PathString upstreamPath);

    /// <summary>The lower-cased names of the request headers sent along with each call.</summary>
    protected abstract string[] ContextHeaders(TApi api);

    /// <summary>Calls the node.</summary>
    protected abstract Task<TResponse> InvokeAsync(NodeModel node, TApi api, TArguments arguments,
        List<KeyValuePair<string, string>> callContext, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the result (status, headers, body, or a problem for an answer that is an error). An
    /// <see cref="IOException"/>, <see cref="OperationCanceledException"/> or <see cref="ObjectDisposedException"/>
    /// is the client going away: the exchange is aborted.
    /// </summary>
    protected abstract ValueTask<ForwardResult> WriteResultAsync(HttpContext context, NodeModel node, TApi api, TResponse response);

    /// <summary>What an exception of the protocol's client means (the caller's and the deadline's cancellations are handled before).</summary>
    protected abstract RpcFailure Classify(Exception exception);

    /// <summary>Relays an answer the server gave as an error (<see cref="RpcFailure.ServerError"/>): logs it and writes 502 <c>upstream_error</c>.</summary>
    protected abstract Task WriteServerErrorAsync(HttpContext context, NodeModel node, TApi api, Exception exception);

    /// <summary>Logs a call that failed with <paramref name="error"/>.</summary>
    protected abstract void LogCallFailed(NodeModel node, TApi api, ForwarderError error, string reason);

    /// <summary>The exchange's headers for a JSON result: 200, <c>application/json</c>.</summary>
    protected static void StartJsonResult(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
    }

    private async ValueTask<ForwardResult> FailAsync(HttpContext context, NodeModel node, TApi api, Exception e,
        CancellationToken deadline)
    {
        ForwarderError error;
        if (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            return new ForwardResult(ForwarderError.RequestCanceled, e, false);
        }

        if (e is OperationCanceledException && deadline.IsCancellationRequested)
        {
            error = ForwarderError.RequestTimeout;
        }
        else
        {
            switch (Classify(e))
            {
                case RpcFailure.ConnectFailed:
                    error = ForwarderError.ConnectFailed;
                    break;
                case RpcFailure.Timeout:
                    // The server's own timeouts are timeouts to the client too: 504, and counted as such by health and breakers.
                    error = ForwarderError.ResponseHeadersTimeout;
                    break;
                case RpcFailure.UpstreamFailed:
                    error = ForwarderError.UpstreamFailed;
                    break;
                case RpcFailure.ServerError:
                    await WriteServerErrorAsync(context, node, api, e);
                    return Completed;
                default:
                    throw new InvalidOperationException($"{Protocol} call to {node.Id} failed unexpectedly", e);
            }
        }

        LogCallFailed(node, api, error, e.Message);
        // Nothing of the client's request is streamed: the arguments are kept, so a retry can resend them.
        return new ForwardResult(error, e, false);
    }
}
