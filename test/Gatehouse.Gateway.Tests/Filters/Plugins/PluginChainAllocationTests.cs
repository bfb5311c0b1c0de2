using System.Net;
using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resolution;
using Gatehouse.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Filters.Plugins;

/// <summary>
/// An API without plugin filters costs what it did before plugins existed: it compiles to no filter step (the handler
/// goes straight to forwarding, no extra state machine) and its request path allocates the same, whatever other APIs use.
/// </summary>
public class PluginChainAllocationTests
{
    private static readonly JsonElement Cors = JsonDocument.Parse("""{"origins":["https://app.example.com"]}""").RootElement;

    private static GatewayConfig WithoutPlugins() => new()
    {
        Services = [Service("plain", ["/orders/{id}"]), Service("other", ["/x"])],
    };

    /// <summary>The same APIs, with plugins everywhere except on <c>plain</c>'s API (its empty list turns the global one off).</summary>
    private static GatewayConfig WithPluginsElsewhere()
    {
        var config = WithoutPlugins();
        var plain = config.Services[0];
        return config with
        {
            Global = new PolicyConfig { Filters = [new FilterConfig { Name = "cors", Settings = Cors }] },
            Services =
            [
                plain with { Apis = [plain.Apis[0] with { Policy = new PolicyConfig { Filters = [] } }] },
                config.Services[1] with { Policy = new PolicyConfig { Filters = [new FilterConfig { Name = "mock" }] } },
            ],
        };
    }

    [Fact]
    public void Compile_ApiWithoutPlugins_HasNoFilterStep()
    {
        var before = Compile(WithoutPlugins());
        var after = Compile(WithPluginsElsewhere());

        Assert.Empty(before.Services["plain"].Apis[0].Filters);
        Assert.Empty(after.Services["plain"].Apis[0].Filters);
        Assert.IsType<Gatehouse.Plugins.BuiltIn.MockPlugin>(Assert.Single(after.Services["other"].Apis[0].Filters));
    }

    [Fact]
    public void RequestPath_ApiWithoutPlugins_AllocatesNoMoreThanWithoutThePluginFeature()
    {
        var handler = new GatewayRequestHandler(new SnapshotState(), ServiceResolverChain.CreateDefault(new GatewayHeaderNames()),
            new HttpForwarder(NullLogger<HttpForwarder>.Instance), Options.Create(new GatewayOptions()), NullLogger<GatewayRequestHandler>.Instance);
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/orders/42";
        context.Request.Headers["serviceName"] = "plain";
        context.Connection.RemoteIpAddress = IPAddress.Loopback;

        long Measure(ConfigSnapshot snapshot)
        {
            var filtered = 0;
            var bytes = Allocations.Of(() =>
            {
                // What the handler does up to forwarding: decide, then run the filter step only when there is one.
                var decision = handler.Decide(context, snapshot);
                filtered += decision.Api!.Filters.Length;
            });
            Assert.Equal(0, filtered);
            return bytes;
        }

        var before = Measure(Compile(WithoutPlugins()));
        var after = Measure(Compile(WithPluginsElsewhere()));

        Assert.Equal(before, after);
        Assert.Equal(0, after);
    }

    /// <summary>
    /// What a plugin API pays on top: one context shared by its filters and one exchange record, plus what the filters
    /// themselves allocate (a constant header value allocates nothing). Recorded here so a regression shows.
    /// </summary>
    [Fact]
    public void PluginChain_RequestOnlyFilter_SmallFixedCostPerRequest()
    {
        var settings = JsonDocument.Parse("""{"request":{"set":{"X-Tenant":"blue"}}}""").RootElement;
        var factory = Gatehouse.Plugins.PluginCatalog.BuiltIn.TryGet("headers", out var f) ? f : throw new InvalidOperationException();
        var chain = new FilterChain([new CompiledPlugin("headers", factory.Create(settings))], "s", "a", NullLogger.Instance);
        var context = new DefaultHttpContext();
        var passed = true;
        Func<HttpContext, int, Task> next = static (_, _) => Task.CompletedTask;

        var bytes = Allocations.Of(() => passed &= chain.RunAsync(context, 0, next).IsCompletedSuccessfully && context.Response.StatusCode == 200);

        Assert.True(passed);
        Assert.Equal("blue", context.Request.Headers["X-Tenant"]);
        Assert.InRange(bytes / 1000, 1, 160);
    }
}
