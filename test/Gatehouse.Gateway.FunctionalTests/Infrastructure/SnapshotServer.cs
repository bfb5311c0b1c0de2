using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>A heartbeat as the admin side received it.</summary>
internal sealed record ReceivedHeartbeat(string NodeId, string Group, string? Loc, string ControlAddress, long Version, string Checksum);

/// <summary>
/// Test peer playing the admin side of the sync protocol (docs/sync-protocol.md) on a real Kestrel loopback port:
/// <c>GET /api/v1/gateway/config</c> and <c>POST /api/v1/gateway/heartbeat</c>, both verifying
/// <see cref="ControlSignature"/>. Tests set the snapshot it serves. A stand-in for protocol tests of the gateway
/// until scenario tests against the real admin service exist; it builds the snapshot document itself (not with the
/// gateway's code) so the two sides are checked against the contract, not against each other.
/// </summary>
internal sealed class SnapshotServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _secret;
    private volatile string? _document;
    private long _version;
    private int _pulls;

    private SnapshotServer(WebApplication app, string secret, int port)
    {
        _app = app;
        _secret = secret;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Signed config requests answered (200 or 304), in arrival order, as their <c>since</c> (null = full).</summary>
    public ConcurrentQueue<long?> Pulls { get; } = new();

    public int PullCount => Volatile.Read(ref _pulls);

    /// <summary>Requests refused for a bad or missing signature.</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    public ConcurrentQueue<ReceivedHeartbeat> Heartbeats { get; } = new();

    /// <summary>Starts on <paramref name="port"/> (0 = any free port) with the given shared secret.</summary>
    public static async Task<SnapshotServer> StartAsync(string secret, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        SnapshotServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        server = new SnapshotServer(app, secret, TestBackend.GetPort(app));
        return server;
    }

    /// <summary>Serves <paramref name="config"/> (its version is the snapshot version) for <paramref name="group"/>.</summary>
    public void Serve(GatewayConfig config, string group = "default") =>
        ServeRaw(BuildDocument(config, group).ToJsonString(), config.Version);

    /// <summary>Serves a document as given, e.g. one with a wrong checksum; <paramref name="version"/> drives 304s.</summary>
    public void ServeRaw(string document, long version)
    {
        Interlocked.Exchange(ref _version, version);
        _document = document;
    }

    /// <summary>The protocol's snapshot document for <paramref name="config"/>, built from the contract.</summary>
    public static JsonObject BuildDocument(GatewayConfig config, string group = "default") => new()
    {
        ["group"] = group,
        ["version"] = config.Version,
        ["checksum"] = ConfigChecksum.Compute(config),
        ["config"] = JsonNode.Parse(ConfigSerializer.Serialize(config)),
    };

    /// <summary>Sends the admin's push to a gateway's control port, signed with <paramref name="secret"/>.</summary>
    /// <param name="timestamp">Signing time; defaults to now (tests pass a stale one).</param>
    public static async Task<HttpResponseMessage> PushAsync(HttpClient control, string? secret, long version,
        string group = "default", DateTimeOffset? timestamp = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { group, version });
        var request = new HttpRequestMessage(HttpMethod.Post, "/control/config") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        if (secret is not null)
        {
            var seconds = (timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
            request.Headers.Add(ControlSignature.TimestampHeader, seconds.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(ControlSignature.SignatureHeader, ControlSignature.Sign(secret, seconds, "POST", "/control/config", body));
        }

        return await control.SendAsync(request);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var reason = ControlSignature.Verify(_secret, context.Request.Headers[ControlSignature.TimestampHeader],
            context.Request.Headers[ControlSignature.SignatureHeader], context.Request.Method, target, body, DateTimeOffset.UtcNow);
        if (reason is not null)
        {
            Refused.Enqueue(reason);
            context.Response.StatusCode = 401;
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsJsonAsync(new { status = 401, code = "unauthorized", detail = reason });
            return;
        }

        switch (context.Request.Path.Value)
        {
            case "/api/v1/gateway/config" when HttpMethods.IsGet(context.Request.Method):
                await ServeConfigAsync(context);
                break;
            case "/api/v1/gateway/heartbeat" when HttpMethods.IsPost(context.Request.Method):
                Heartbeats.Enqueue(JsonSerializer.Deserialize<ReceivedHeartbeat>(body, JsonSerializerOptions.Web)!);
                context.Response.StatusCode = 204;
                break;
            default:
                context.Response.StatusCode = 404;
                break;
        }
    }

    private async Task ServeConfigAsync(HttpContext context)
    {
        var query = context.Request.Query;
        long? since = long.TryParse(query["since"], CultureInfo.InvariantCulture, out var s) ? s : null;
        var document = _document;
        if (string.IsNullOrEmpty(query["group"]) || string.IsNullOrEmpty(query["node"]) || document is null)
        {
            context.Response.StatusCode = document is null ? 404 : 400;
            return;
        }

        Pulls.Enqueue(since);
        Interlocked.Increment(ref _pulls);
        if (since is { } known && known >= Interlocked.Read(ref _version))
        {
            context.Response.StatusCode = 304;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(document);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
