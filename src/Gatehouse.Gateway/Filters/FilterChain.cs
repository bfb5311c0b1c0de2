using System.Collections;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Http;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Filters;

/// <summary>
/// The one ordered chain of filters of an API, built when the snapshot is compiled: the gateway's own mechanisms
/// (<see cref="BuiltInFilter"/>) at their fixed places and the <c>policy.filters</c> plugins by their
/// <see cref="PluginStage"/>, all on the plugin contract. It runs the request phase, forwards (the caller's
/// <c>next</c>), runs the body phase of filters that buffer the response, and the header phase as the response starts.
/// An API without filters has <see cref="Empty"/>, which the request handler never calls.
/// </summary>
/// <remarks>
/// <para>Request phase: each filter in order; the first that answers ends the request with its response (later filters
/// and the node are skipped). A filter that throws ends it with 500 <c>plugin_failed</c> naming the filter.</para>
/// <para>Body phase: only when a filter declares <see cref="PluginPhases.ResponseBody"/>. The node's body is collected
/// (<see cref="BufferedResponseBody"/>) instead of streamed, handed to those filters last first, and sent as they leave
/// it. Gateway error responses bypass the collection and go out plain.</para>
/// <para>Header phase: one <c>OnStarting</c> callback, registered before the first filter runs, calls the response
/// phase of every filter the request passed through, last first, whoever produces the response (node, gateway error
/// or an answering filter). A filter that answered or threw is not among them.</para>
/// <para>Per request: one <see cref="PluginContext"/>, plus one exchange object when a filter has a header phase. No
/// closure, no lock, no LINQ; a chain whose filters all decide synchronously returns <c>next</c>'s task as it is.</para>
/// </remarks>
internal sealed partial class FilterChain : IReadOnlyList<IGatewayPlugin>
{
    private static readonly Func<object, Task> RunResponsePhase = static state => ((ChainExchange)state).RunResponsePhase();

    /// <summary>A filter with either declares a request phase (reading the body implies one).</summary>
    private const PluginPhases RequestSide = PluginPhases.Request | PluginPhases.RequestBody;

    private readonly CompiledPlugin[] _plugins;
    private readonly string _service;
    private readonly string _api;
    private readonly bool _hasResponsePhase;
    private readonly int _maxResponseBody;
    private readonly int _maxRequestBody;
    private readonly ILogger _logger;

    public FilterChain(CompiledPlugin[] plugins, string service, string api, ILogger logger)
    {
        _plugins = plugins;
        _service = service;
        _api = api;
        _logger = logger;
        foreach (var plugin in plugins)
        {
            _hasResponsePhase |= (plugin.Phases & PluginPhases.Response) != 0;
            if ((plugin.Phases & PluginPhases.ResponseBody) != 0)
            {
                var limit = Math.Max(1, plugin.Instance.MaxResponseBodyBytes);
                _maxResponseBody = _maxResponseBody == 0 ? limit : Math.Min(_maxResponseBody, limit);
            }

            if ((plugin.Phases & PluginPhases.RequestBody) != 0)
            {
                var limit = Math.Max(1, plugin.Instance.MaxRequestBodyBytes);
                _maxRequestBody = _maxRequestBody == 0 ? limit : Math.Min(_maxRequestBody, limit);
            }
        }
    }

    /// <summary>The chain of an API without filters.</summary>
    public static FilterChain Empty { get; } = new([], "", "", NullLogger.Instance);

    /// <summary>How many filters; 0 means the request handler forwards directly.</summary>
    public int Length => _plugins.Length;

    /// <inheritdoc/>
    public int Count => _plugins.Length;

    /// <summary>The filters in order, with their names, for route explanations and tests.</summary>
    public IReadOnlyList<CompiledPlugin> Plugins => _plugins;

    /// <summary>Whether a filter reads the request body (it is read at the first such filter's place).</summary>
    public bool ReadsRequestBody => _maxRequestBody > 0;

    /// <summary>Whether a filter buffers the response body (the API's responses are collected, not streamed).</summary>
    public bool BuffersResponse => _maxResponseBody > 0;

    /// <summary>The most response body bytes collected for the body phase; 0 when no filter buffers.</summary>
    public int MaxResponseBodyBytes => _maxResponseBody;

    /// <inheritdoc/>
    public IGatewayPlugin this[int index] => _plugins[index].Instance;

    /// <summary>
    /// Runs the request phase; when every filter passes the request on, calls <paramref name="next"/> (pick a node and
    /// forward), then the body phase. <paramref name="next"/> should be a delegate cached by the caller and
    /// <paramref name="state"/> a struct, so nothing is allocated for them.
    /// </summary>
    public Task RunAsync<TState>(HttpContext http, TState state, Func<HttpContext, TState, Task> next)
    {
        var context = new PluginContext(http, _service, _api, ClientIp.Get(http));
        ChainExchange? exchange = null;
        if (_hasResponsePhase)
        {
            exchange = new ChainExchange(this, context);
            http.Response.OnStarting(RunResponsePhase, exchange);
        }

        for (var i = 0; i < _plugins.Length; i++)
        {
            var plugin = _plugins[i];
            if ((plugin.Phases & RequestSide) != 0)
            {
                if (NeedsRequestBody(plugin, context))
                {
                    return ReadBodyThenContinueAsync(context, exchange, i, state, next);
                }

                ValueTask<PluginResponse?> pending;
                try
                {
                    pending = plugin.Instance.OnRequestAsync(context);
                }
                catch (Exception ex)
                {
                    return FailAsync(http, plugin, ex);
                }

                if (!pending.IsCompletedSuccessfully)
                {
                    return ContinueAsync(context, exchange, i, pending, state, next);
                }

                if (pending.Result is { } answer)
                {
                    return AnswerAsync(http, answer);
                }
            }

            exchange?.Reached = i + 1;
        }

        return _maxResponseBody == 0 ? next(http, state) : ForwardBufferedAsync(context, state, next);
    }

    /// <summary>The rest of the request phase once a filter had to wait (I/O), then forwarding.</summary>
    private async Task ContinueAsync<TState>(PluginContext context, ChainExchange? exchange, int index, ValueTask<PluginResponse?> pending,
        TState state, Func<HttpContext, TState, Task> next)
    {
        var http = context.Http;
        while (true)
        {
            PluginResponse? answer;
            try
            {
                answer = await pending;
            }
            catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
            {
                await FailAsync(http, _plugins[index], ex);
                return;
            }

            if (answer is not null)
            {
                await AnswerAsync(http, answer);
                return;
            }

            exchange?.Reached = index + 1;
            if (!NextRequestFilter(exchange, ref index))
            {
                break;
            }

            if (NeedsRequestBody(_plugins[index], context) && !await ReadRequestBodyAsync(context))
            {
                return;
            }

            try
            {
                pending = _plugins[index].Instance.OnRequestAsync(context);
            }
            catch (Exception ex)
            {
                await FailAsync(http, _plugins[index], ex);
                return;
            }
        }

        await (_maxResponseBody == 0 ? next(http, state) : ForwardBufferedAsync(context, state, next));
    }

    /// <summary>Moves past <paramref name="index"/> to the next filter with a request phase; false at the end of the chain.</summary>
    private bool NextRequestFilter(ChainExchange? exchange, ref int index)
    {
        for (index++; index < _plugins.Length; index++)
        {
            if ((_plugins[index].Phases & RequestSide) != 0)
            {
                return true;
            }

            exchange?.Reached = index + 1;
        }

        return false;
    }

    /// <summary>Writes a filter's own response; the request ends here.</summary>
    private static Task AnswerAsync(HttpContext context, PluginResponse answer)
    {
        if (ReferenceEquals(answer, PluginResponse.Written))
        {
            return Task.CompletedTask;
        }

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
                return response.Body.WriteAsync(answer.Body, context.RequestAborted).AsTask();
            }
        }

        return Task.CompletedTask;
    }

    private Task FailAsync(HttpContext context, CompiledPlugin plugin, Exception exception)
    {
        plugin.RequestFailures.Increment();
        Log.RequestPhaseFailed(_logger, plugin.Name, _service, _api, exception);
        return ProblemWriter.WriteAsync(context, GatewayError.PluginFailed, $"The plugin filter '{plugin.Name}' failed; see the gateway log.");
    }

    /// <summary>One request's passage through the chain, for the header phase.</summary>
    private sealed class ChainExchange(FilterChain chain, PluginContext context)
    {
        /// <summary>Filters [0, Reached) passed the request on; only they see the response.</summary>
        public int Reached { get; set; }

        public Task RunResponsePhase()
        {
            var plugins = chain._plugins;
            for (var i = Reached - 1; i >= 0; i--)
            {
                var plugin = plugins[i];
                if ((plugin.Phases & PluginPhases.Response) == 0)
                {
                    continue;
                }

                try
                {
                    plugin.Instance.OnResponse(context);
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

    IEnumerator<IGatewayPlugin> IEnumerable<IGatewayPlugin>.GetEnumerator()
    {
        foreach (var plugin in _plugins)
        {
            yield return plugin.Instance;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<IGatewayPlugin>)this).GetEnumerator();

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Error,
            Message = "Plugin filter {Plugin} failed in the request phase of {Service}/{Api}; answered 500 plugin_failed")]
        public static partial void RequestPhaseFailed(ILogger logger, string plugin, string service, string api, Exception exception);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Error,
            Message = "Plugin filter {Plugin} failed in the response phase of {Service}/{Api}; the response went out without its changes")]
        public static partial void ResponsePhaseFailed(ILogger logger, string plugin, string service, string api, Exception exception);

        [LoggerMessage(EventId = 6003, Level = LogLevel.Error,
            Message = "Plugin filter {Plugin} failed in the body phase of {Service}/{Api}; answered 500 plugin_failed")]
        public static partial void BodyPhaseFailed(ILogger logger, string plugin, string service, string api, Exception exception);
    }
}

/// <summary>
/// One filter of a compiled chain: the instance, its name, the phases it declared when created, and its failure
/// counters (registered with the metrics on first use, or at compile time for <c>policy.filters</c> plugins so their
/// series show from the start).
/// </summary>
internal sealed class CompiledPlugin
{
    private readonly Observability.GatewayMetrics? _metrics;
    private Observability.PluginFailureCell? _requestFailures;
    private Observability.PluginFailureCell? _responseFailures;

    public CompiledPlugin(string name, IGatewayPlugin instance, Observability.GatewayMetrics? metrics = null, bool registerCounters = false)
    {
        Name = name;
        Instance = instance;
        Phases = instance.Phases;
        _metrics = metrics;
        if (registerCounters)
        {
            _ = RequestFailures;
            _ = ResponseFailures;
        }
    }

    public string Name { get; }

    public IGatewayPlugin Instance { get; }

    public PluginPhases Phases { get; }

    public Observability.PluginFailureCell RequestFailures => _requestFailures ??= _metrics?.GetPluginFailures(Name, "request") ?? new();

    /// <summary>Failures of the header and body phases.</summary>
    public Observability.PluginFailureCell ResponseFailures => _responseFailures ??= _metrics?.GetPluginFailures(Name, "response") ?? new();
}
