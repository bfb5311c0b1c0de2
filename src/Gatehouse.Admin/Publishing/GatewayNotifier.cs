using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Publishing;

/// <summary>
/// Tells the live gateway nodes of a group that the group has a new version (docs/sync-protocol.md, "Push"): a signed
/// <c>POST {controlAddress}/control/config</c> with <c>{ "group", "version" }</c>; the node then pulls.
/// </summary>
/// <remarks>
/// Runs off the request path: a committed write only queues a notice (<see cref="Published"/>), never waits for a gateway
/// and never fails because of one. Notices are coalesced per group: while a group's push is in flight, newer versions
/// of it are folded into one follow-up push with the latest. Groups are pushed independently, so a slow node of one
/// group does not hold back another. A lost push costs nothing but time: the gateway's timed pull catches up.
/// </remarks>
/// <summary>The outcome of the last push to a gateway node: the version, when, and why it failed (null: accepted).</summary>
internal sealed record PushStatus(long Version, DateTimeOffset At, string? Error);

internal sealed partial class GatewayNotifier : BackgroundService, IConfigPublished
{
    private const string PushPath = "/control/config";

    private readonly Channel<(string Group, long Version)> _notices =
        Channel.CreateUnbounded<(string, long)>(new UnboundedChannelOptions { SingleReader = true });

    // Latest version waiting per group, and the push worker of each group that has one; both guarded by _lock.
    private readonly Dictionary<string, long> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    // Nodes whose last push failed, so an outage is logged once when it starts and once when it ends.
    private readonly ConcurrentDictionary<(string Group, string Node), bool> _failing = new();

    // The outcome of the last push to each node, for the sync status the console and the gateway list show.
    private readonly ConcurrentDictionary<(string Group, string Node), PushStatus> _lastPush = new();

    private readonly IServiceScopeFactory _scopes;
    private readonly IConfiguration _configuration;
    private readonly AdminOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GatewayNotifier> _logger;
    private readonly HttpClient _http;

    /// <summary>Creates the notifier; it owns one <see cref="HttpClient"/> for all pushes.</summary>
    public GatewayNotifier(IServiceScopeFactory scopes, IConfiguration configuration, IOptions<AdminOptions> options,
        TimeProvider time, ILogger<GatewayNotifier> logger)
    {
        _scopes = scopes;
        _configuration = configuration;
        _options = options.Value;
        _time = time;
        _logger = logger;

        // Gateways are addressed directly by the address they reported: no proxy, no redirects, a short timeout so an
        // unreachable node gives up quickly (the per-push timeout below is the one that counts).
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = _options.GatewayPushTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Queues a notice that <paramref name="group"/> now has <paramref name="version"/>; returns at once.</summary>
    public void Published(string group, long version)
    {
        // An unbounded channel only refuses writes after completion, i.e. while the admin stops; the pull heals that.
        _notices.Writer.TryWrite((group, version));
    }

    /// <summary>The last push this admin process made to the node, or null when it made none since it started.</summary>
    public PushStatus? LastPush(string group, string nodeId) => _lastPush.TryGetValue((group, nodeId), out var status) ? status : null;

    /// <summary>
    /// Pushes <paramref name="version"/> to one gateway now (the operator's re-push): the node then pulls what it lacks.
    /// Returns null when the node accepted the notice, else why not.
    /// </summary>
    public Task<string?> PushOneAsync(string group, long version, string nodeId, string address, CancellationToken cancellationToken)
    {
        var secret = _configuration[AdminOptions.ControlSecretKey];
        if (string.IsNullOrEmpty(secret))
        {
            return Task.FromResult<string?>("no control secret is configured (Gatehouse:ControlSecret), so gateways refuse pushes");
        }

        return PushNodeAsync(group, version, nodeId, address, secret, NoticeBody(group, version), cancellationToken);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (group, version) in _notices.Reader.ReadAllAsync(stoppingToken))
            {
                lock (_lock)
                {
                    _pending[group] = _pending.TryGetValue(group, out var queued) ? Math.Max(queued, version) : version;

                    // A running worker picks the latest pending version up when its current push ends. A new one
                    // starts inside the lock, so it cannot remove itself before it is recorded.
                    if (!_running.ContainsKey(group))
                    {
                        _running[group] = Task.Run(() => RunGroupAsync(group, stoppingToken), CancellationToken.None);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: queued notices are dropped; gateways catch up by their timed pull.
        }

        // Pushes in flight are cancelled by the same token; wait for them so none outlives the HTTP client.
        Task[] workers;
        lock (_lock)
        {
            workers = [.. _running.Values];
        }

        await Task.WhenAll(workers);
    }

    private async Task RunGroupAsync(string group, CancellationToken stoppingToken)
    {
        while (true)
        {
            long version;
            lock (_lock)
            {
                if (stoppingToken.IsCancellationRequested || !_pending.Remove(group, out version))
                {
                    _running.Remove(group);
                    return;
                }
            }

            try
            {
                await PushGroupAsync(group, version, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping.
            }
            catch (Exception ex)
            {
                // The store could not be read, or anything else unexpected: this notice is lost, the pull heals it.
                Log.GroupFailed(_logger, group, version, ex);
            }
        }
    }

    private async Task PushGroupAsync(string group, long version, CancellationToken stoppingToken)
    {
        var secret = _configuration[AdminOptions.ControlSecretKey];
        if (string.IsNullOrEmpty(secret))
        {
            // Gateways refuse unsigned pushes, so there is nothing useful to send.
            Log.NoSecret(_logger, group, version);
            return;
        }

        List<(string Id, string Address)> nodes;
        await using (var scope = _scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
            var since = _time.GetUtcNow() - _options.GatewayLiveWindow;
            var rows = await db.GatewayNodes
                .Where(n => n.Group == group && n.ControlAddress != null && n.ControlAddress != "")
                .Select(n => new { n.Id, n.ControlAddress, n.LastSeen })
                .ToListAsync(stoppingToken);

            // Filtered here rather than in SQL: SQLite cannot compare DateTimeOffset columns in a query.
            nodes = rows.Where(n => n.LastSeen >= since).Select(n => (n.Id, n.ControlAddress!)).ToList();
        }

        if (nodes.Count == 0)
        {
            Log.NoLiveNodes(_logger, group, version);
            return;
        }

        var body = NoticeBody(group, version);
        await Task.WhenAll(nodes.Select(n => PushNodeAsync(group, version, n.Id, n.Address, secret, body, stoppingToken)));
    }

    private static byte[] NoticeBody(string group, long version) => Encoding.UTF8.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $$"""{"group":{{System.Text.Json.JsonSerializer.Serialize(group)}},"version":{{version}}}"""));

    private async Task<string?> PushNodeAsync(string group, long version, string nodeId, string address, string secret, byte[] body,
        CancellationToken stoppingToken)
    {
        string? failure;
        try
        {
            if (!Uri.TryCreate(address.TrimEnd('/') + PushPath, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failure = $"control address '{address}' is not an http(s) URL";
            }
            else
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(_options.GatewayPushTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json");
                var now = _time.GetUtcNow().ToUnixTimeSeconds();
                request.Headers.Add(ControlSignature.TimestampHeader, now.ToString(CultureInfo.InvariantCulture));
                request.Headers.Add(ControlSignature.SignatureHeader,
                    ControlSignature.Sign(secret, now, "POST", uri.PathAndQuery, body));
                using var response = await _http.SendAsync(request, timeout.Token);
                failure = response.StatusCode == HttpStatusCode.Accepted ? null : $"answered {(int)response.StatusCode}";
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            failure = $"no answer within {_options.GatewayPushTimeout.TotalMilliseconds:0} ms";
        }
        catch (HttpRequestException ex)
        {
            failure = ex.Message;
        }

        _lastPush[(group, nodeId)] = new PushStatus(version, _time.GetUtcNow(), failure);
        if (failure is null)
        {
            if (_failing.TryRemove((group, nodeId), out _))
            {
                Log.NodeBack(_logger, nodeId, group, address);
            }

            Log.Pushed(_logger, group, version, nodeId);
        }
        else if (_failing.TryAdd((group, nodeId), true))
        {
            Log.NodeFailed(_logger, nodeId, group, address, failure);
        }
        else
        {
            Log.NodeStillFailing(_logger, nodeId, group, version, failure);
        }

        return failure;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5100, Level = LogLevel.Debug, Message = "Pushed version {Version} of group '{Group}' to gateway node '{NodeId}'")]
        public static partial void Pushed(ILogger logger, string group, long version, string nodeId);

        [LoggerMessage(EventId = 5101, Level = LogLevel.Information,
            Message = "Config push to gateway node '{NodeId}' (group '{Group}', {Address}) failed: {Reason}; it catches up by its timed pull. Further failures are logged at Debug until a push succeeds")]
        public static partial void NodeFailed(ILogger logger, string nodeId, string group, string address, string reason);

        [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "Config push of version {Version} to gateway node '{NodeId}' (group '{Group}') failed again: {Reason}")]
        public static partial void NodeStillFailing(ILogger logger, string nodeId, string group, long version, string reason);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Config pushes to gateway node '{NodeId}' (group '{Group}', {Address}) succeed again")]
        public static partial void NodeBack(ILogger logger, string nodeId, string group, string address);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Debug, Message = "No live gateway node in group '{Group}' to tell about version {Version}")]
        public static partial void NoLiveNodes(ILogger logger, string group, long version);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Debug, Message = "Version {Version} of group '{Group}' not pushed: no control secret configured")]
        public static partial void NoSecret(ILogger logger, string group, long version);

        [LoggerMessage(EventId = 5106, Level = LogLevel.Warning, Message = "Pushing version {Version} of group '{Group}' failed; gateways catch up by their timed pull")]
        public static partial void GroupFailed(ILogger logger, string group, long version, Exception exception);
    }
}
