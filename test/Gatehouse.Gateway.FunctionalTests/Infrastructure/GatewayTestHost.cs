using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real gateway node (the same <see cref="GatewayApplication"/> the host runs) on loopback ports, with its
/// declarative config in a temp file that tests can rewrite to exercise hot reload.
/// </summary>
internal sealed class GatewayTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private GatewayTestHost(WebApplication app, string dir, string configPath, int port, int controlPort)
    {
        _app = app;
        _dir = dir;
        ConfigPath = configPath;
        Port = port;
        ControlPort = controlPort;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        Control = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{controlPort}") };
    }

    public string ConfigPath { get; }

    public int Port { get; }

    public int ControlPort { get; }

    /// <summary>Client for the traffic port.</summary>
    public HttpClient Client { get; }

    /// <summary>Client for the control port.</summary>
    public HttpClient Control { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="yaml">Config file content; null starts the gateway without a config file present.</param>
    public static async Task<GatewayTestHost> StartAsync(string? yaml, string? loc = null, params string[] extraArgs)
    {
        var dir = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
        var configPath = Path.Combine(dir, "gatehouse.yaml");
        if (yaml is not null)
        {
            await File.WriteAllTextAsync(configPath, yaml);
        }

        var port = FreePort.Next();
        var controlPort = FreePort.Next();
        var args = new List<string>
        {
            "--config", configPath, "--port", port.ToString(), "--control-port", controlPort.ToString(),
            "--listen", "127.0.0.1", "--node-id", "gw-test",
            "--Gatehouse:Gateway:ConfigPollInterval", "00:00:00.200",
        };
        if (loc is not null)
        {
            args.AddRange(["--loc", loc]);
        }

        args.AddRange(extraArgs);
        var app = GatewayApplication.Create(args.ToArray());
        await app.StartAsync();
        return new GatewayTestHost(app, dir, configPath, port, controlPort);
    }

    /// <summary>Current config version and checksum reported by the control port.</summary>
    public async Task<(long? Version, string? Checksum)> GetVersionAsync()
    {
        var json = await Control.GetFromJsonAsync<JsonElement>("/control/config/version");
        var version = json.GetProperty("version");
        var checksum = json.GetProperty("checksum");
        return (version.ValueKind == JsonValueKind.Null ? null : version.GetInt64(),
            checksum.ValueKind == JsonValueKind.Null ? null : checksum.GetString());
    }

    /// <summary>Replaces the config file atomically (write + rename, as editors and deploy tools do).</summary>
    public async Task WriteConfigAsync(string yaml)
    {
        var temp = ConfigPath + ".tmp";
        await File.WriteAllTextAsync(temp, yaml);
        File.Move(temp, ConfigPath, overwrite: true);
    }

    /// <summary>Writes a new config and waits until the gateway reports a different version.</summary>
    public async Task ReloadAsync(string yaml, TimeSpan? timeout = null)
    {
        var (before, _) = await GetVersionAsync();
        await WriteConfigAsync(yaml);
        await WaitUntilAsync(async () => (await GetVersionAsync()).Version != before, timeout ?? TimeSpan.FromSeconds(10),
            "the gateway did not apply the new config");
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out: {what}");
            }

            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Control.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind does not affect other tests.
        }
    }
}
