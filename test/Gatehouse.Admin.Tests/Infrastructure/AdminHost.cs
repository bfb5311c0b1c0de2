using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Tests.Infrastructure;

/// <summary>A real admin on Kestrel, on a free loopback port, with its own temporary SQLite file.</summary>
internal sealed class AdminHost : IAsyncDisposable
{
    public const string Token = "test-admin-token";
    public const string Secret = "test-control-secret";

    private readonly WebApplication _app;
    private readonly (string? Token, IReadOnlyDictionary<string, string?>? Settings, Action<WebApplicationBuilder>? Configure) _start;

    private AdminHost(WebApplication app, string directory, string databasePath, LogCapture logs, Uri address,
        string? token, IReadOnlyDictionary<string, string?>? settings, Action<WebApplicationBuilder>? configure)
    {
        _app = app;
        _start = (token, settings, configure);
        Directory = directory;
        DatabasePath = databasePath;
        Logs = logs;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Anonymous = new HttpClient { BaseAddress = address };
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public LogCapture Logs { get; }

    public Uri Address { get; }

    /// <summary>Sends the configured admin token.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no credentials.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>Starts an admin; <paramref name="token"/> null lets it generate one; <paramref name="directory"/> reuses a store.</summary>
    /// <param name="settings">Extra configuration, applied last (e.g. another database provider).</param>
    /// <param name="configure">Called on the builder after the settings, e.g. to replace the clock.</param>
    public static async Task<AdminHost> StartAsync(string? token = Token, string? directory = null,
        IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("gatehouse-admin-").FullName;
        var databasePath = Path.Combine(directory, "data", "admin.db");
        var logs = new LogCapture();
        var app = AdminApplication.Create(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gatehouse:Admin:Database"] = $"Data Source={databasePath}",
                ["Gatehouse:Admin:Token"] = token,
                ["Gatehouse:ControlSecret"] = Secret,
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }

            builder.Logging.AddProvider(logs);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new AdminHost(app, directory, databasePath, logs, address, token, settings, configure);
    }

    /// <summary>A second admin process on the same store (same SQLite file or PostgreSQL database); stop it with <see cref="StopAsync"/>.</summary>
    public Task<AdminHost> StartSiblingAsync() => StartAsync(_start.Token, Directory, _start.Settings, _start.Configure);

    /// <summary>A service of the admin's container, e.g. the registry sweeper a test drives by hand.</summary>
    public T GetService<T>()
        where T : notnull => (T)_app.Services.GetService(typeof(T))!;

    /// <summary>Creates a group with a unique name and returns the name.</summary>
    public async Task<string> CreateGroupAsync()
    {
        var name = "g-" + Guid.NewGuid().ToString("N")[..10];
        var response = await Client.PostAsync("/api/v1/groups", Json($$"""{"name":"{{name}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return name;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A request signed with <see cref="ControlSignature"/> as a gateway would sign it.</summary>
    public static HttpRequestMessage Signed(HttpMethod method, string pathAndQuery, string? body = null, string secret = Secret,
        DateTimeOffset? at = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body ?? "");
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Add(ControlSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(ControlSignature.SignatureHeader, ControlSignature.Sign(secret, timestamp, method.Method, pathAndQuery, bytes));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    public async Task StopAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may still be closing; the temp directory is left for the OS to clean.
        }
    }
}

/// <summary>Keeps every log message, so tests can read what the admin printed.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(_messages);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception));
    }
}

/// <summary>
/// One admin per test class; tests use their own groups, so they do not see each other's data.
/// The API suite runs once per store: each test class is abstract over this fixture, with one subclass per store.
/// </summary>
public abstract class AdminFixture : IAsyncLifetime
{
    internal AdminHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await StartAdminAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>Starts another admin on an empty store of this kind, for tests that need one to themselves.</summary>
    internal abstract Task<AdminHost> StartAdminAsync(Action<WebApplicationBuilder>? configure = null);
}

/// <summary>An admin on its own temporary SQLite file.</summary>
public sealed class SqliteAdmin : AdminFixture
{
    internal override Task<AdminHost> StartAdminAsync(Action<WebApplicationBuilder>? configure = null) =>
        AdminHost.StartAsync(configure: configure);
}

/// <summary>An admin on its own fresh database of the run's shared PostgreSQL server.</summary>
public sealed class PostgresAdmin(PostgresServer server) : AdminFixture
{
    internal override Task<AdminHost> StartAdminAsync(Action<WebApplicationBuilder>? configure = null) =>
        server.StartAdminAsync(configure);
}
