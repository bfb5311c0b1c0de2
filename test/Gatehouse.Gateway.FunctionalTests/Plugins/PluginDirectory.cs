using System.Text.Json;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>
/// A plugins directory for a test gateway, filled from the plugins the test project builds into test-plugins/
/// (the sample plugin and test/plugins/*: see test/plugins/TestPlugins.targets).
/// </summary>
internal sealed class PluginDirectory : IDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan SettleDelay = TimeSpan.FromMilliseconds(200);

    public string Path { get; } = Directory.CreateTempSubdirectory("gatehouse-plugins-").FullName;

    /// <summary>Arguments that point a gateway at this directory with short watch intervals.</summary>
    public string[] GatewayArgs =>
    [
        "--plugins", Path,
        "--Gatehouse:Gateway:PluginsPollInterval", PollInterval.ToString("c"),
        "--Gatehouse:Gateway:PluginsSettleDelay", SettleDelay.ToString("c"),
    ];

    /// <summary>Copies the built plugin <paramref name="built"/> into folder <paramref name="name"/>, over what is there.</summary>
    public void Deploy(string built, string name)
    {
        var source = System.IO.Path.Combine(AppContext.BaseDirectory, "test-plugins", built);
        var target = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)), overwrite: true);
        }
    }

    public void Remove(string name) => Directory.Delete(System.IO.Path.Combine(Path, name), recursive: true);

    /// <summary>The gateway's <c>GET /control/plugins</c>.</summary>
    public static async Task<JsonElement> StatusAsync(GatewayTestHost gw) =>
        JsonDocument.Parse(await gw.Control.GetStringAsync("/control/plugins")).RootElement;

    /// <summary>The status entry of <paramref name="folder"/>, or null when the gateway shows none.</summary>
    public static async Task<JsonElement?> FolderAsync(GatewayTestHost gw, string folder)
    {
        foreach (var plugin in (await StatusAsync(gw)).GetProperty("plugins").EnumerateArray())
        {
            if (plugin.GetProperty("folder").GetString() == folder)
            {
                return plugin;
            }
        }

        return null;
    }

    /// <summary>Waits until every replaced or removed version of <paramref name="folder"/> has been collected.</summary>
    public static Task WaitCollectedAsync(GatewayTestHost gw, string folder, int atLeast = 1) =>
        GatewayTestHost.WaitUntilAsync(async () =>
        {
            var unloads = (await StatusAsync(gw)).GetProperty("unloads").EnumerateArray().Where(u => u.GetProperty("folder").GetString() == folder).ToList();
            return unloads.Count >= atLeast && unloads.All(u => u.GetProperty("collected").GetBoolean());
        }, TimeSpan.FromSeconds(20), $"the load context of the old '{folder}' was not collected");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
