using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Tests.Infrastructure;
using Gatehouse.Plugins;
using Gatehouse.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>The chain runner: request phase in order, answers, failures, header phase last first, body phase.</summary>
public class FilterChainTests
{
    private static readonly Func<HttpContext, List<string>, Task> Forward = static (context, log) =>
    {
        log.Add("forward");
        return context.Response.WriteAsync("node body");
    };

    private static FilterChain Chain(params IGatewayPlugin[] plugins)
    {
        var compiled = new CompiledPlugin[plugins.Length];
        for (var i = 0; i < plugins.Length; i++)
        {
            compiled[i] = new CompiledPlugin(((Recording)plugins[i]).Name, plugins[i]);
        }

        return new FilterChain(compiled, "s", "a", NullLogger.Instance);
    }

    private static DefaultHttpContext Context(out MemoryStream body)
    {
        var context = new DefaultHttpContext();
        body = new MemoryStream();
        context.Response.Body = body;
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        return context;
    }

    [Fact]
    public async Task RunAsync_EveryFilterPasses_RequestPhaseInOrderThenForward()
    {
        var log = new List<string>();
        var chain = Chain(new Recording("one", log), new Recording("two", log, async: true), new Recording("three", log));
        var context = Context(out var body);

        await chain.RunAsync(context, log, Forward);

        Assert.Equal(["one", "two", "three", "forward"], log);
        Assert.Equal("node body", Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task RunAsync_FilterAnswers_LaterFiltersAndNodeSkipped_AnswerWritten()
    {
        var log = new List<string>();
        var answer = new PluginResponse(418, [new("X-Teapot", "yes")], "short and stout"u8.ToArray());
        var chain = Chain(new Recording("one", log), new Recording("answers", log) { Answer = answer }, new Recording("three", log));
        var context = Context(out var body);

        await chain.RunAsync(context, log, Forward);

        Assert.Equal(["one", "answers"], log);
        Assert.Equal(418, context.Response.StatusCode);
        Assert.Equal("yes", context.Response.Headers["X-Teapot"]);
        Assert.Equal("short and stout", Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task RunAsync_FilterWroteItsOwnAnswer_ChainAddsNothing()
    {
        var log = new List<string>();
        var chain = Chain(new Recording("writes", log, async: true) { Answer = PluginResponse.Written, Status = 429 }, new Recording("two", log));
        var context = Context(out var body);

        await chain.RunAsync(context, log, Forward);

        Assert.Equal(["writes"], log);
        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal(0, body.Length);
        Assert.False(context.Response.Headers.ContainsKey("X-Request-Id"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_FilterThrows_500PluginFailedNamingIt(bool async)
    {
        var log = new List<string>();
        var chain = Chain(new Recording("one", log), new Recording("broken", log, async) { Throws = true }, new Recording("three", log));
        var context = Context(out var body);

        await chain.RunAsync(context, log, Forward);

        Assert.Equal(["one", "broken"], log);
        Assert.Equal(500, context.Response.StatusCode);
        var problem = JsonDocument.Parse(body.ToArray()).RootElement;
        Assert.Equal("plugin_failed", problem.GetProperty("code").GetString());
        Assert.Contains("'broken'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AllSynchronous_ReturnsTheForwardTaskItself()
    {
        var pending = new TaskCompletionSource();
        var chain = Chain(new Recording("one", []));

        var task = chain.RunAsync(new DefaultHttpContext(), pending.Task, static (_, forward) => forward);

        Assert.Same(pending.Task, task);
        pending.SetResult();
        await task;
    }

    [Fact]
    public async Task HeaderPhase_LastFirst_OnlyFiltersTheRequestPassed()
    {
        var log = new List<string>();
        var chain = Chain(
            new Recording("one", log) { Phases = PluginPhases.Request | PluginPhases.Response },
            new Recording("two", log) { Phases = PluginPhases.Response },
            new Recording("answers", log) { Phases = PluginPhases.Request | PluginPhases.Response, Answer = new PluginResponse(204) });
        var context = Context(out _);
        var starting = new List<(Func<object, Task> Callback, object State)>();
        context.Features.Set<IHttpResponseFeature>(new CapturingResponseFeature(starting));

        await chain.RunAsync(context, log, Forward);
        foreach (var (callback, state) in starting)
        {
            await callback(state);
        }

        Assert.Equal(["one", "answers", "response:two", "response:one"], log);
    }

    [Fact]
    public async Task BodyPhase_CollectsTheNodesBody_FiltersLastFirst_SendsTheReplacementWithItsLength()
    {
        var log = new List<string>();
        var chain = Chain(
            new Recording("upper", log) { Phases = PluginPhases.ResponseBody, Body = s => s.ToUpperInvariant() },
            new Recording("wrap", log) { Phases = PluginPhases.ResponseBody, Body = s => $"<{s}>" });
        var context = Context(out var body);

        await chain.RunAsync(context, log, Forward);

        Assert.True(chain.BuffersResponse);
        Assert.Equal(["forward", "body:wrap", "body:upper"], log);
        Assert.Equal("<NODE BODY>", Encoding.UTF8.GetString(body.ToArray()));
        Assert.Equal(11, context.Response.ContentLength);
        Assert.IsNotType<BufferedResponseBody>(context.Features.Get<IHttpResponseBodyFeature>());
    }

    [Fact]
    public async Task BodyPhase_UnchangedBody_SentAsCollected()
    {
        var log = new List<string>();
        var chain = Chain(new Recording("looks", log) { Phases = PluginPhases.ResponseBody });
        var context = Context(out var body);

        await chain.RunAsync(context, log, Forward);

        Assert.Equal("node body", Encoding.UTF8.GetString(body.ToArray()));
        Assert.Null(context.Response.ContentLength);
    }

    [Fact]
    public async Task BodyPhase_GatewayErrorWhileForwarding_GoesOutPlain_NoBodyPhase()
    {
        var log = new List<string>();
        var chain = Chain(new Recording("upper", log) { Phases = PluginPhases.ResponseBody, Body = s => s.ToUpperInvariant() });
        var context = Context(out var body);

        await chain.RunAsync(context, log, static (http, _) => Gatehouse.Gateway.Http.ProblemWriter.WriteAsync(http, Gatehouse.Gateway.Http.GatewayError.NoAvailableNode));

        Assert.Empty(log);
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Contains("no_available_node", Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoBodyFilter_ResponseBodyNotReplaced_Streams()
    {
        var chain = Chain(new Recording("one", []) { Phases = PluginPhases.Request | PluginPhases.Response });
        var context = Context(out _);
        IHttpResponseBodyFeature? seen = null;

        await chain.RunAsync(context, 0, (http, _) =>
        {
            seen = http.Features.Get<IHttpResponseBodyFeature>();
            return Task.CompletedTask;
        });

        Assert.False(chain.BuffersResponse);
        Assert.IsNotType<BufferedResponseBody>(seen);
    }

    [Fact]
    public async Task RequestBody_ReadAtTheFiltersPlace_FilterSeesIt_NodeStillGetsIt()
    {
        var log = new List<string>();
        var reader = new Recording("reader", log) { Phases = PluginPhases.Request | PluginPhases.RequestBody };
        var chain = Chain(new Recording("before", log), reader);
        var context = Context(out _);
        context.Request.Body = new MemoryStream("payload"u8.ToArray());
        context.Request.ContentLength = 7;
        string? forwarded = null;

        await chain.RunAsync(context, log, async (http, _) => forwarded = await new StreamReader(http.Request.Body).ReadToEndAsync());

        Assert.True(chain.ReadsRequestBody);
        Assert.Equal(["before", "reader"], log);
        Assert.Equal("payload", reader.SeenBody);
        Assert.Equal("payload", forwarded);
    }

    [Fact]
    public async Task RequestBody_RefusedEarlier_NeverRead()
    {
        var log = new List<string>();
        var chain = Chain(new Recording("refuses", log) { Answer = new PluginResponse(403) },
            new Recording("reader", log) { Phases = PluginPhases.RequestBody });
        var context = Context(out _);
        var original = new MemoryStream("payload"u8.ToArray());
        context.Request.Body = original;
        context.Request.ContentLength = 7;

        await chain.RunAsync(context, log, Forward);

        Assert.Equal(["refuses"], log);
        Assert.Same(original, context.Request.Body);
        Assert.Equal(0, original.Position);
    }

    [Fact]
    public async Task RequestBody_OverTheFiltersBound_413_FilterNotRun()
    {
        var log = new List<string>();
        var chain = Chain(new Recording("reader", log) { Phases = PluginPhases.RequestBody, MaxRequestBody = 4 });
        var context = Context(out var body);
        context.Request.Body = new MemoryStream("payload"u8.ToArray());
        context.Request.ContentLength = 7;

        await chain.RunAsync(context, log, Forward);

        Assert.Empty(log);
        Assert.Equal(413, context.Response.StatusCode);
        Assert.Equal("close", context.Response.Headers.Connection);
        Assert.Contains("payload_too_large", Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }

    /// <summary>
    /// What an API with only a rate limit pays per request on top of forwarding: the one context its filters share
    /// (about 56 bytes); nothing else, no state machine, since the limiter decides synchronously.
    /// </summary>
    [Fact]
    public void RateLimitOnly_AllocatesOneSmallContextPerRequest()
    {
        var limiter = new KeyedRateLimiter(new RateLimitConfig { Limit = 1_000_000_000, WindowMs = 60_000 }, new TestTimeProvider());
        var chain = new FilterChain([new CompiledPlugin(GatewayFilterNames.RateLimit, new RateLimitFilter([limiter]))], "s", "a", NullLogger.Instance);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        Func<HttpContext, int, Task> next = static (_, _) => Task.CompletedTask;
        var passed = true;

        var bytes = Allocations.Of(() => passed &= chain.RunAsync(context, 0, next).IsCompletedSuccessfully);

        Assert.True(passed);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.InRange(bytes / 1000, 1, 64);
    }

    /// <summary>A filter that logs its phases and does what its properties say.</summary>
    private sealed class Recording(string name, List<string> log, bool async = false) : IGatewayPlugin
    {
        public string Name => name;

        public PluginPhases Phases { get; init; } = PluginPhases.Request;

        public PluginResponse? Answer { get; init; }

        public int? Status { get; init; }

        public bool Throws { get; init; }

        public Func<string, string>? Body { get; init; }

        public int MaxRequestBody { get; init; } = 1024 * 1024;

        public int MaxRequestBodyBytes => MaxRequestBody;

        public string? SeenBody { get; private set; }

        public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context)
        {
            log.Add(name);
            if (context.RequestBodyRead)
            {
                SeenBody = Encoding.UTF8.GetString(context.RequestBody.Span);
            }

            if (Status is { } status)
            {
                context.Http.Response.StatusCode = status;
            }

            if (!async)
            {
                return Throws ? throw new InvalidOperationException("broken") : ValueTask.FromResult(Answer);
            }

            return Later();

            async ValueTask<PluginResponse?> Later()
            {
                await Task.Yield();
                return Throws ? throw new InvalidOperationException("broken") : Answer;
            }
        }

        public void OnResponse(PluginContext context) => log.Add("response:" + name);

        public ValueTask OnResponseBodyAsync(PluginContext context, PluginResponseBody body)
        {
            log.Add("body:" + name);
            if (Body is { } transform)
            {
                body.Replace(Encoding.UTF8.GetBytes(transform(Encoding.UTF8.GetString(body.Content.Span))));
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Records OnStarting callbacks so the test can run the header phase.</summary>
    private sealed class CapturingResponseFeature(List<(Func<object, Task>, object)> starting) : HttpResponseFeature
    {
        public override void OnStarting(Func<object, Task> callback, object state) => starting.Add((callback, state));
    }
}
