using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gatehouse.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Sdk.Tests;

/// <summary>A real admin (the embedded registry) on a loopback port with its own SQLite file and a short lease TTL.</summary>
internal sealed class TestAdmin : IAsyncDisposable
{
    public const string AdminToken = "sdk-test-admin-token";
    public const string RegistryToken = "sdk-test-registry-token";

    private readonly WebApplication _app;
    private readonly string _dir;
    private readonly bool _ownsDir;

    private TestAdmin(WebApplication app, string dir, bool ownsDir, int port, LogLines logs)
    {
        _app = app;
        _dir = dir;
        _ownsDir = ownsDir;
        Logs = logs;
        Address = $"http://127.0.0.1:{port}";
        Client = new HttpClient { BaseAddress = new Uri(Address) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public string Address { get; }

    public HttpClient Client { get; }

    /// <summary>The admin's log lines.</summary>
    public LogLines Logs { get; }

    /// <summary>The directory of the admin's database (kept when it was given to <see cref="StartAsync"/>).</summary>
    public string Directory => _dir;

    /// <summary>Starts an admin on <paramref name="port"/> (a free one when 0) with lease TTL 2 s swept every 200 ms.</summary>
    /// <param name="port">Port to listen on; 0 picks a free one.</param>
    /// <param name="zooKeeper">Mirror this ZooKeeper (connect string); null: no mirror.</param>
    /// <param name="dir">Database directory to use (and keep); null: a temp one removed on dispose.</param>
    public static async Task<TestAdmin> StartAsync(int port = 0, string? zooKeeper = null, string? dir = null)
    {
        port = port == 0 ? FreePort() : port;
        var ownsDir = dir is null;
        dir ??= System.IO.Directory.CreateTempSubdirectory("gatehouse-sdk-").FullName;
        var logs = new LogLines();
        var app = AdminApplication.Create(["--urls", $"http://127.0.0.1:{port}"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gatehouse:Admin:ZooKeeper:ConnectString"] = zooKeeper,
                ["Gatehouse:Admin:ZooKeeper:Debounce"] = "00:00:00.200",
                ["Gatehouse:Admin:ZooKeeper:ResyncInterval"] = "00:00:01",
                ["Gatehouse:Admin:Dubbo:Debounce"] = "00:00:00.100",
                ["Gatehouse:Admin:Dubbo:PollInterval"] = "00:00:00.200",
                ["Gatehouse:Admin:Database"] = $"Data Source={Path.Combine(dir, "admin.db")}",
                ["Gatehouse:Admin:Token"] = AdminToken,
                ["Gatehouse:Admin:RegistryToken"] = RegistryToken,
                ["Gatehouse:Admin:RegistryLeaseTtl"] = "00:00:02",
                ["Gatehouse:Admin:RegistrySweepInterval"] = "00:00:00.200",
                ["Gatehouse:ControlSecret"] = "sdk-test-secret",
            });
            builder.Logging.ClearProviders().AddProvider(logs);
        });
        await app.StartAsync();
        return new TestAdmin(app, dir, ownsDir, port, logs);
    }

    public async Task CreateGroupAsync(string group)
    {
        using var response = await Client.PostAsync("/api/v1/groups", new StringContent($$"""{"name":"{{group}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>The service's config, or null while it does not exist.</summary>
    public async Task<JsonElement?> ServiceAsync(string group, string service)
    {
        using var response = await Client.GetAsync($"/api/v1/groups/{group}/services/{service}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service");
    }

    public async Task<int> NodeCountAsync(string group, string service) =>
        await ServiceAsync(group, service) is { } s ? s.GetProperty("nodes").GetArrayLength() : 0;

    public async Task<long> VersionCountAsync(string group) =>
        (await Client.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/versions")).GetProperty("total").GetInt64();

    public static int FreePort() => Gatehouse.Testing.LoopbackPorts.Next();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (!_ownsDir)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every log line (level and text) of an app under test.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

    public IReadOnlyCollection<(LogLevel Level, string Text)> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<(LogLevel, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((logLevel, formatter(state, exception)));
    }
}

internal static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }
}
