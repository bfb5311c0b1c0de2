using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.ConfigSync;

/// <summary>Configs and requests shared by the admin-sync tests.</summary>
internal static class SyncTestKit
{
    public const string Secret = "test-control-secret";

    /// <summary>One service <c>s</c> with one node, whose name the echo backend puts first in its answer.</summary>
    public static GatewayConfig Config(long version, EchoBackend node) => new()
    {
        Version = version,
        Services =
        [
            new ServiceConfig
            {
                Name = "s",
                Nodes = [new NodeConfig { Id = node.Name, Address = node.Address }],
                Apis = [new ApiConfig { Id = "all", Path = "/**" }],
            },
        ],
    };

    /// <summary>GET /x for service <c>s</c> through the gateway's traffic port.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(GatewayTestHost gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("serviceName", "s");
        using var response = await gateway.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The <c>source</c> reported by <c>/control/config/version</c>.</summary>
    public static async Task<string?> GetSourceAsync(GatewayTestHost gateway) =>
        (await gateway.Control.GetFromJsonAsync<JsonElement>("/control/config/version")).GetProperty("source").GetString();

    public static Task WaitForVersionAsync(GatewayTestHost gateway, long version, TimeSpan timeout) =>
        GatewayTestHost.WaitUntilAsync(async () => (await gateway.GetVersionAsync()).Version == version, timeout,
            $"the gateway did not reach version {version}");

    /// <summary>
    /// Waits until the snapshot file holds <paramref name="version"/>; it is written just after the apply, so the
    /// version endpoint can be ahead of it for a moment.
    /// </summary>
    public static Task<SnapshotDocument> WaitForSnapshotFileAsync(GatewayTestHost gateway, long version) =>
        WaitForAsync(() => File.Exists(gateway.SnapshotPath)
                ? SnapshotDocument.Parse(File.ReadAllText(gateway.SnapshotPath), "default", "test") is { } d && d.Version == version ? d : null
                : null,
            $"the snapshot file did not reach version {version}");

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, string what) where T : class
    {
        T? found = null;
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult((found = probe()) is not null), TimeSpan.FromSeconds(2), what);
        return found!;
    }
}
