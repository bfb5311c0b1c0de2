using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real gateway node (the same <see cref="GatewayApplication"/> the host runs) on loopback ports, with its
/// declarative config in a temp file that tests can rewrite to exercise hot reload, or (<see cref="StartWithAdminAsync"/>)
/// taking its config from an admin such as <see cref="SnapshotServer"/>, with its snapshot file in the temp directory.
/// </summary>
internal sealed class GatewayTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private GatewayTestHost(WebApplication app, string dir, string configPath, int port, int controlPort, CapturingLoggerProvider logs)
    {
        _app = app;
        _dir = dir;
        ConfigPath = configPath;
        SnapshotPath = Path.Combine(dir, "snapshot.json");
        Logs = logs;
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

    /// <summary>The local snapshot file of admin mode (in the temp directory).</summary>
    public string SnapshotPath { get; }

    /// <summary>Every log entry of the gateway at Information and above.</summary>
    public CapturingLoggerProvider Logs { get; }

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

        var args = new List<string> { "--config", configPath };
        if (loc is not null)
        {
            args.AddRange(["--loc", loc]);
        }

        args.AddRange(extraArgs);
        return await StartCoreAsync(dir, configPath, args);
    }

    /// <summary>A gateway in file mode whose host also registers <paramref name="plugins"/> (plugin factories of the test).</summary>
    public static async Task<GatewayTestHost> StartWithPluginsAsync(string yaml, params Gatehouse.Plugins.IGatewayPluginFactory[] plugins)
    {
        var dir = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
        var configPath = Path.Combine(dir, "gatehouse.yaml");
        await File.WriteAllTextAsync(configPath, yaml);
        return await StartCoreAsync(dir, configPath, ["--config", configPath], builder =>
        {
            foreach (var plugin in plugins)
            {
                builder.Services.AddSingleton(plugin);
            }
        });
    }

    /// <summary>
    /// Starts a gateway in admin mode against <paramref name="adminUrl"/> with control secret
    /// <paramref name="secret"/> (null: none), and its snapshot file pre-filled with <paramref name="snapshotFile"/>
    /// when given. <paramref name="extraArgs"/> come last, so they can override the short test intervals set here.
    /// </summary>
    public static async Task<GatewayTestHost> StartWithAdminAsync(string adminUrl, string? secret, string? snapshotFile = null,
        params string[] extraArgs)
    {
        var dir = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
        var snapshotPath = Path.Combine(dir, "snapshot.json");
        if (snapshotFile is not null)
        {
            await File.WriteAllTextAsync(snapshotPath, snapshotFile);
        }

        var args = new List<string>
        {
            "--admin", adminUrl, "--Gatehouse:Gateway:SnapshotPath", snapshotPath,
            "--Gatehouse:Gateway:PullInterval", "00:01:00", "--Gatehouse:Gateway:HeartbeatInterval", "00:01:00",
        };
        if (secret is not null)
        {
            args.AddRange(["--Gatehouse:ControlSecret", secret]);
        }

        args.AddRange(extraArgs);
        return await StartCoreAsync(dir, Path.Combine(dir, "gatehouse.yaml"), args);
    }

    private static async Task<GatewayTestHost> StartCoreAsync(string dir, string configPath, List<string> modeArgs,
        Action<WebApplicationBuilder>? configure = null)
    {
        var port = FreePort.Next();
        var controlPort = FreePort.Next();
        var args = new List<string>
        {
            "--port", port.ToString(), "--control-port", controlPort.ToString(),
            "--listen", "127.0.0.1", "--node-id", "gw-test",
            "--Gatehouse:Gateway:ConfigPollInterval", "00:00:00.200",

            // Shorter than the default so the reload tests stay quick; the settle tests set their own.
            "--Gatehouse:Gateway:ConfigSettleDelay", "00:00:00.100",

            // Stopped after every test: no drain delay (the drain has its own tests).
            "--Gatehouse:Gateway:DrainDelay", "00:00:00",
        };
        args.AddRange(TestEngine.GatewayArgs());
        args.AddRange(modeArgs);
        var logs = new CapturingLoggerProvider();
        var app = GatewayApplication.Create(args.ToArray(), builder =>
        {
            builder.Logging.AddProvider(logs);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        TestEngine.HostStarted();
        return new GatewayTestHost(app, dir, configPath, port, controlPort, logs);
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
        var carried = TestEngine.IsLoop ? LoopEngine.AcceptedConnections(_app.Services) : 0;
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

        // A suite selected for the loop engine must really have run on it (not silently on the platform's).
        Assert.True(!TestEngine.IsLoop || carried != 0, "the loop engine was selected but carried no connection");
    }
}
