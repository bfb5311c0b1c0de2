using Gatehouse.Gateway.Hosting;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Plugins;

/// <summary>
/// Runs the plugin filters of one API (<c>policy.filters</c>) as one step of the gateway's filter list. Built when the
/// snapshot is compiled; an API without plugin filters has no chain at all, so it pays nothing.
/// </summary>
/// <remarks>
/// <para>Request phase: each filter in order; the first that answers ends the request with its response (later filters
/// and the node are skipped). A filter that throws ends it with 500 <c>plugin_failed</c> naming the filter.</para>
/// <para>Response phase: one <c>OnStarting</c> callback, registered before the first filter runs, calls the response
/// phase of every filter the request passed through, last first, whoever produces the response (node, gateway error
/// or an answering filter). A filter that answered or threw is not among them.</para>
/// </remarks>
internal sealed partial class PluginChainFilter : IGatewayFilter
{
    private static readonly Func<object, Task> RunResponsePhase = static state => ((PluginExchange)state).RunResponsePhase();

    private readonly CompiledPlugin[] _plugins;
    private readonly string _service;
    private readonly string _api;
    private readonly bool _hasResponsePhase;
    private readonly ILogger _logger;

    public PluginChainFilter(CompiledPlugin[] plugins, string service, string api, ILogger logger)
    {
        _plugins = plugins;
        _service = service;
        _api = api;
        _logger = logger;
        foreach (var plugin in plugins)
        {
            _hasResponsePhase |= (plugin.Instance.Phases & PluginPhases.Response) != 0;
        }
    }

    /// <summary>The filters in order, for tests and route explanations.</summary>
    internal IReadOnlyList<CompiledPlugin> Plugins => _plugins;

    /// <summary>
    /// This chain as the two the pipeline runs (<see cref="PluginStage"/>): the filters that run before the gateway's
    /// authentication and rate limits, and those that run after them; each in list order, null when empty.
    /// </summary>
    public (PluginChainFilter? Before, PluginChainFilter? After) SplitByStage()
    {
        var after = 0;
        foreach (var plugin in _plugins)
        {
            after += plugin.Instance.Stage == PluginStage.AfterAccessControl ? 1 : 0;
        }

        if (after == 0)
        {
            return (this, null);
        }

        if (after == _plugins.Length)
        {
            return (null, this);
        }

        var early = new List<CompiledPlugin>(_plugins.Length - after);
        var late = new List<CompiledPlugin>(after);
        foreach (var plugin in _plugins)
        {
            (plugin.Instance.Stage == PluginStage.AfterAccessControl ? late : early).Add(plugin);
        }

        return (new PluginChainFilter([.. early], _service, _api, _logger), new PluginChainFilter([.. late], _service, _api, _logger));
    }

    public ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        var exchange = new PluginExchange(this, new PluginContext(context, _service, _api, ClientIp.Get(context)));
        if (_hasResponsePhase)
        {
            context.Response.OnStarting(RunResponsePhase, exchange);
        }

        return RunFrom(exchange, 0);
    }

    private ValueTask<bool> RunFrom(PluginExchange exchange, int start)
    {
        for (var i = start; i < _plugins.Length; i++)
        {
            var plugin = _plugins[i];
            if ((plugin.Instance.Phases & PluginPhases.Request) != 0)
            {
                ValueTask<PluginResponse?> pending;
                try
                {
                    pending = plugin.Instance.OnRequestAsync(exchange.Context);
                }
                catch (Exception ex)
                {
                    return new ValueTask<bool>(FailAsync(exchange.Context.Http, plugin, ex));
                }

                if (!pending.IsCompletedSuccessfully)
                {
                    return AwaitThenRunAsync(exchange, i, pending);
                }

                if (pending.Result is { } answer)
                {
                    return new ValueTask<bool>(AnswerAsync(exchange.Context.Http, answer));
                }
            }

            exchange.Reached = i + 1;
        }

        return new ValueTask<bool>(true);
    }

    private async ValueTask<bool> AwaitThenRunAsync(PluginExchange exchange, int index, ValueTask<PluginResponse?> pending)
    {
        var plugin = _plugins[index];
        PluginResponse? answer;
        try
        {
            answer = await pending;
        }
        catch (Exception ex) when (!exchange.Context.Http.RequestAborted.IsCancellationRequested)
        {
            return await FailAsync(exchange.Context.Http, plugin, ex);
        }

        if (answer is not null)
        {
            return await AnswerAsync(exchange.Context.Http, answer);
        }

        exchange.Reached = index + 1;
        return await RunFrom(exchange, index + 1);
    }

    /// <summary>Writes a filter's own response; the request ends here.</summary>
    private static async Task<bool> AnswerAsync(HttpContext context, PluginResponse answer)
    {
        var response = context.Response;
        response.StatusCode = answer.Status;

        // As on every response the gateway sends, forwarded or its own error: the id the access log and traces carry.
        response.Headers[Forwarding.HeaderRules.RequestId] = Forwarding.RequestHeaderCopier.ResolveRequestId(context);
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers.Append(name, value);
        }

        // 1xx, 204 and 304 carry no body (RFC 9110 §6.4.1); a HEAD answer carries the length of the GET one.
        if (answer.Status is >= 200 and not 204 and not 304)
        {
            response.ContentLength = answer.Body.Length;
            if (!answer.Body.IsEmpty && !HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(answer.Body, context.RequestAborted);
            }
        }

        return false;
    }

    private async Task<bool> FailAsync(HttpContext context, CompiledPlugin plugin, Exception exception)
    {
        plugin.RequestFailures.Increment();
        Log.RequestPhaseFailed(_logger, plugin.Name, _service, _api, exception);
        await ProblemWriter.WriteAsync(context, GatewayError.PluginFailed, $"The plugin filter '{plugin.Name}' failed; see the gateway log.");
        return false;
    }

    /// <summary>One request's passage through the chain.</summary>
    private sealed class PluginExchange(PluginChainFilter chain, PluginContext context)
    {
        public PluginContext Context { get; } = context;

        /// <summary>Filters [0, Reached) passed the request on; only they see the response.</summary>
        public int Reached { get; set; }

        public Task RunResponsePhase()
        {
            var plugins = chain._plugins;
            for (var i = Reached - 1; i >= 0; i--)
            {
                var plugin = plugins[i];
                if ((plugin.Instance.Phases & PluginPhases.Response) == 0)
                {
                    continue;
                }

                try
                {
                    plugin.Instance.OnResponse(Context);
                }
                catch (Exception ex)
                {
                    // Status and body are already decided (a node's response may be streaming next): the response goes
                    // out without this filter's changes rather than being replaced by a 500 with the wrong body.
                    plugin.ResponseFailures.Increment();
                    Log.ResponsePhaseFailed(chain._logger, plugin.Name, chain._service, chain._api, ex);
                }
            }

            return Task.CompletedTask;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Error,
            Message = "Plugin filter {Plugin} failed in the request phase of {Service}/{Api}; answered 500 plugin_failed")]
        public static partial void RequestPhaseFailed(ILogger logger, string plugin, string service, string api, Exception exception);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Error,
            Message = "Plugin filter {Plugin} failed in the response phase of {Service}/{Api}; the response went out without its changes")]
        public static partial void ResponsePhaseFailed(ILogger logger, string plugin, string service, string api, Exception exception);
    }
}

/// <summary>One plugin filter of a compiled API: the instance, its name and its failure counters.</summary>
internal sealed record CompiledPlugin(string Name, IGatewayPlugin Instance, Observability.PluginFailureCell RequestFailures,
    Observability.PluginFailureCell ResponseFailures);
