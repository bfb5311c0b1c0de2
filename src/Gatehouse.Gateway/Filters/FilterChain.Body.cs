using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Http;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Filters;

/// <summary>
/// Bodies: the request body read for filters that declare <see cref="PluginPhases.RequestBody"/>, and the body phase
/// (collect the node's response, hand it to the filters that buffer, send what they leave).
/// </summary>
internal sealed partial class FilterChain
{
    private static bool NeedsRequestBody(CompiledPlugin plugin, PluginContext context) =>
        (plugin.Phases & PluginPhases.RequestBody) != 0 && !context.RequestBodyRead;

    /// <summary>Reads the request body for the filter at <paramref name="index"/>, runs it, then the rest of the chain.</summary>
    private async Task ReadBodyThenContinueAsync<TState>(PluginContext context, ChainExchange? exchange, int index, TState state,
        Func<HttpContext, TState, Task> next)
    {
        if (!await ReadRequestBodyAsync(context))
        {
            return;
        }

        ValueTask<PluginResponse?> pending;
        try
        {
            pending = _plugins[index].Instance.OnRequestAsync(context);
        }
        catch (Exception ex)
        {
            await FailAsync(context.Http, _plugins[index], ex);
            return;
        }

        await ContinueAsync(context, exchange, index, pending, state, next);
    }

    /// <summary>
    /// Reads the whole request body into a pooled buffer that also becomes what the node receives; false when the
    /// request ended instead (too large, too slow, unreadable, or the client left), with the answer the signature
    /// filter gives in the same cases.
    /// </summary>
    private async ValueTask<bool> ReadRequestBodyAsync(PluginContext context)
    {
        var http = context.Http;
        var (result, body) = await BufferedRequestBody.ReadAsync(http, _maxRequestBody);
        switch (result)
        {
            case BufferedRequestBody.Result.TooLarge:
                // The rest is unread: closing is cheaper and safer than draining it.
                await ProblemWriter.WriteAsync(http, GatewayError.PayloadTooLarge,
                    $"The request body may be at most {_maxRequestBody} bytes on this API.", [new("Connection", "close")]);
                return false;
            case BufferedRequestBody.Result.ClientGone:
                BufferedRequestBody.AbortGoneClient(http);
                return false;
            case BufferedRequestBody.Result.ClientError:
                await ProblemWriter.WriteAsync(http, GatewayError.BadRequest, "The request body could not be read.");
                return false;
            case BufferedRequestBody.Result.TooSlow:
                await ProblemWriter.WriteAsync(http, GatewayError.RequestTimeout, BufferedRequestBody.TooSlowDetail);
                return false;
        }

        context.SetRequestBody(body);
        return true;
    }

    private async Task ForwardBufferedAsync<TState>(PluginContext context, TState state, Func<HttpContext, TState, Task> next)
    {
        var http = context.Http;

        // The forwarder writes into a pooled buffer instead of the client connection: nothing reaches the client before
        // the filters have seen the whole body. Past the limit the forwarder answers 502 response_too_large.
        var buffered = new BufferedResponseBody(http.Features.GetRequiredFeature<IHttpResponseBodyFeature>(), _maxResponseBody);
        http.Response.RegisterForDispose(buffered);
        http.Features.Set<IHttpResponseBodyFeature>(buffered);
        try
        {
            await next(http, state);
        }
        catch
        {
            BufferedResponseBody.Bypass(http);
            throw;
        }

        await RunBodyPhaseAsync(context);
    }

    private async Task RunBodyPhaseAsync(PluginContext context)
    {
        var http = context.Http;

        // Null when a problem response went out instead (it bypassed the buffer).
        using var buffered = BufferedResponseBody.Detach(http);
        var response = http.Response;
        if (buffered is null || http.RequestAborted.IsCancellationRequested || response.HasStarted)
        {
            return;
        }

        using var body = new PluginResponseBody(buffered.WrittenMemory);
        for (var i = _plugins.Length - 1; i >= 0; i--)
        {
            var plugin = _plugins[i];
            if ((plugin.Phases & PluginPhases.ResponseBody) == 0)
            {
                continue;
            }

            try
            {
                await plugin.Instance.OnResponseBodyAsync(context, body);
            }
            catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
            {
                // Nothing has been sent: the client gets a clean 500 rather than a half-transformed body.
                plugin.ResponseFailures.Increment();
                Log.BodyPhaseFailed(_logger, plugin.Name, _service, _api, ex);
                await ProblemWriter.WriteAsync(http, GatewayError.PluginFailed, $"The plugin filter '{plugin.Name}' failed; see the gateway log.");
                return;
            }
        }

        if (body.Replaced)
        {
            // Whatever described the node's bytes no longer describes these.
            response.Headers.Remove(Microsoft.Net.Http.Headers.HeaderNames.TransferEncoding);
            response.ContentLength = body.Content.Length;
        }

        // No body for HEAD and for 1xx, 204, 205 and 304 (RFC 9110 §6.4.1); the headers go out as they stand.
        var status = response.StatusCode;
        if (body.Content.IsEmpty || HttpMethods.IsHead(http.Request.Method) || status is < 200 or 204 or 205 or 304)
        {
            return;
        }

        try
        {
            await response.Body.WriteAsync(body.Content, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client left while the body was being written.
        }
    }
}
