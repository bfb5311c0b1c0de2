using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Plugins;
using Gatehouse.Testing;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>
/// A plugin registered by the host (here, by the test) that throws: the request gets 500 <c>plugin_failed</c> naming the
/// plugin, the failure is counted, and the gateway goes on serving; one that cannot be created refuses the snapshot.
/// </summary>
public class PluginFailureTests
{
    private static string Config(string address, string explodeSettings = "{ mode: sync }") => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis:
              - id: boom
                path: /boom
                policy:
                  filters:
                    - { name: headers, settings: { response: { set: { X-Before: "ran" } } } }
                    - { name: explode, settings: {{explodeSettings}} }
              - id: boom-async
                path: /boom-async
                policy: { filters: [ { name: explode, settings: { mode: async } } ] }
              - id: boom-response
                path: /boom-response
                policy:
                  filters:
                    - { name: explode, settings: { mode: response } }
                    - { name: headers, settings: { response: { set: { X-After: "ran" } } } }
              - id: fine
                path: /fine
        """;

    [Fact]
    public async Task ThrowingPlugin_500PluginFailed_CountedAndGatewayKeepsServing()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartWithPluginsAsync(Config(backend.Address), new ExplodingFactory());

        foreach (var path in new[] { "/boom", "/boom-async", "/boom" })
        {
            using var response = await SendAsync(gw, HttpMethod.Get, "s", path);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("application/problem+json", Header(response, "Content-Type"));
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("plugin_failed", problem.GetProperty("code").GetString());
            Assert.Contains("'explode'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("kaboom", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            if (path == "/boom")
            {
                // The filter before the failing one passed the request on, so it still sees the (error) response.
                Assert.Equal("ran", Header(response, "X-Before"));
            }
        }

        // A response-phase failure cannot change a response already decided: it goes out without that filter's changes.
        using (var response = await SendAsync(gw, HttpMethod.Get, "s", "/boom-response"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("b|GET|/boom-response", await response.Content.ReadAsStringAsync());
            Assert.Equal("ran", Header(response, "X-After"));
        }

        using (var fine = await SendAsync(gw, HttpMethod.Get, "s", "/fine"))
        {
            Assert.Equal("b|GET|/fine", await fine.Content.ReadAsStringAsync());
        }

        // Only /boom-response and /fine reached the node.
        Assert.Equal(2, backend.RequestCount);
        var metrics = PrometheusText.Parse(await gw.Control.GetStringAsync("/metrics"));
        Assert.Equal(3, metrics.Sum("gatehouse_plugin_failures_total", ("plugin", "explode"), ("phase", "request")));
        Assert.Equal(1, metrics.Sum("gatehouse_plugin_failures_total", ("plugin", "explode"), ("phase", "response")));
        Assert.Equal(2, metrics.Sum("gatehouse_gateway_errors_total", ("api", "boom"), ("code", "plugin_failed")));
        Assert.Contains(gw.Logs.Entries, e => e.Message.Contains("Plugin filter explode failed in the request phase of s/boom", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PluginThrowingInCreate_SnapshotRefused_PreviousKeepsServing()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartWithPluginsAsync(Config(backend.Address), new ExplodingFactory());
        var before = await gw.GetVersionAsync();

        await gw.WriteConfigAsync(Config(backend.Address, "{ mode: create }"));

        await Eventually.WaitUntilAsync(
            () => gw.Logs.Entries.Any(e => e.Message.Contains("plugin 'explode' could not be created: kaboom at create", StringComparison.Ordinal)),
            "the refused snapshot is logged");
        Assert.Equal(before, await gw.GetVersionAsync());
        using var fine = await SendAsync(gw, HttpMethod.Get, "s", "/fine");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task UnknownPluginInFile_RefusedWithKnownNames()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartWithPluginsAsync(Config(backend.Address), new ExplodingFactory());

        await gw.WriteConfigAsync(Config(backend.Address).Replace("name: explode, settings: { mode: async }", "name: exploed", StringComparison.Ordinal));

        await Eventually.WaitUntilAsync(
            () => gw.Logs.Entries.Any(e => e.Message.Contains(
                "services[s].apis[boom-async].policy.filters[0].name: unknown plugin 'exploed' (did you mean 'explode'?); known plugins: aggregate, basic-auth, cache, cors, explode, headers, key-auth, mock, rewrite",
                StringComparison.Ordinal)),
            "the unknown name is reported with the host's own plugins among the known names");
    }

    /// <summary>A test-only plugin: throws in the phase its settings name (<c>mode</c>: sync, async, response, create).</summary>
    private sealed class ExplodingFactory : IGatewayPluginFactory
    {
        public string Name => "explode";

        public IReadOnlyList<PluginSettingError> Validate(JsonElement settings) =>
            settings.TryGetProperty("mode", out var mode) && mode.GetString() is "sync" or "async" or "response" or "create"
                ? []
                : [new PluginSettingError("mode", "expected sync, async, response or create")];

        public IGatewayPlugin Create(JsonElement settings)
        {
            var mode = settings.GetProperty("mode").GetString()!;
            return mode == "create" ? throw new InvalidOperationException("kaboom at create") : new Exploding(mode);
        }
    }

    private sealed class Exploding(string mode) : IGatewayPlugin
    {
        public PluginPhases Phases => mode == "response" ? PluginPhases.Response : PluginPhases.Request;

        public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context) =>
            mode == "async" ? ThrowLaterAsync() : throw new InvalidOperationException("kaboom");

        public void OnResponse(PluginContext context) => throw new InvalidOperationException("kaboom in response");

        private static async ValueTask<PluginResponse?> ThrowLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("kaboom");
        }
    }
}
