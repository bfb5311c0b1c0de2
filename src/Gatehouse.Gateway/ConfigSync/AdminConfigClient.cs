using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>How a pull from the admin ended.</summary>
internal enum PullOutcome
{
    /// <summary>A verified snapshot document arrived.</summary>
    Snapshot,

    /// <summary>The admin has nothing newer than <c>since</c> (304).</summary>
    NotModified,

    /// <summary>The admin could not be reached or answered with an error status.</summary>
    Unreachable,

    /// <summary>The admin answered with a document that failed verification (checksum, group, shape).</summary>
    Rejected,
}

/// <summary>Result of <see cref="AdminConfigClient.PullAsync"/>; <see cref="Error"/> says why when it failed.</summary>
internal readonly record struct PullResult(PullOutcome Outcome, SnapshotDocument? Document = null, string? Error = null);

/// <summary>
/// What a node reports in its heartbeat (docs/sync-protocol.md); <paramref name="Stats"/> is left out when metrics are off;
/// <paramref name="Unhealthy"/> lists the nodes it holds unhealthy (empty: all healthy); <paramref name="Plugins"/> lists the
/// plugin folders that failed or were removed while named (empty: all well; left out without a plugins directory).
/// </summary>
internal sealed record GatewayHeartbeat(string NodeId, string Group, string? Loc, string ControlAddress, long Version, string Checksum,
    HeartbeatStats? Stats = null, IReadOnlyList<UnhealthyNode>? Unhealthy = null,
    IReadOnlyList<Filters.Plugins.Loading.PluginProblem>? Plugins = null);

/// <summary>
/// Signed calls from a gateway node to the admin: <c>GET /api/v1/gateway/config</c> and
/// <c>POST /api/v1/gateway/heartbeat</c>. Never throws for transport or protocol failures: it returns them, so the
/// sync loop decides what to do and keeps running.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="GatewayOptions.AdminUrl"/> may list several admins (comma-separated) that share one store. Calls go to
/// the admin in use (the first at start); when it cannot be reached or answers with an error status, the others are
/// tried in list order and the first that answers becomes the admin in use, until it fails in turn. There is no
/// moving back while it answers: every admin serves the same store, so staying put saves a reconnect.
/// </para>
/// <para>
/// <see cref="HttpClient"/> is used on purpose here (the proxy path never uses it, since it buffers responses): these are small
/// JSON bodies a few times a minute, and its whole-response buffering is what a document verified as a whole needs.
/// </para>
/// </remarks>
internal sealed partial class AdminConfigClient : IDisposable
{
    /// <summary>Per-call limit, so a hung admin delays the loop by this much at most.</summary>
    internal static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private const string ConfigPath = "api/v1/gateway/config";
    private const string HeartbeatPath = "api/v1/gateway/heartbeat";
    private const string PluginsPath = "api/v1/gateway/plugins/";

    private readonly HttpClient _http;
    private readonly Uri[] _admins;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AdminConfigClient> _logger;

    // Index into _admins of the admin in use; only the sync loop calls, one call at a time.
    private int _current;

    public AdminConfigClient(IOptions<GatewayOptions> options, TimeProvider time, ILogger<AdminConfigClient> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _admins = ParseAdminUrls(_options.AdminUrl ?? throw new InvalidOperationException($"{nameof(GatewayOptions.AdminUrl)} is not set."));

        // One pool for all admins: connections are kept per host anyway. Requests carry absolute URIs.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = RequestTimeout })
        {
            Timeout = RequestTimeout,
        };
    }

    /// <summary>
    /// The admins of a comma-separated list of absolute http(s) URLs, each given a trailing slash so relative paths
    /// extend an admin URL that has a path of its own.
    /// </summary>
    /// <exception cref="FormatException">The list is empty or an entry is not an absolute http(s) URL.</exception>
    internal static Uri[] ParseAdminUrls(string value)
    {
        var admins = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part.EndsWith('/') ? part : part + "/", UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https"))
            {
                throw new FormatException($"{nameof(GatewayOptions.AdminUrl)}: '{part}' is not an absolute http(s) URL.");
            }

            admins.Add(uri);
        }

        return admins.Count > 0 ? [.. admins] : throw new FormatException($"{nameof(GatewayOptions.AdminUrl)} names no admin.");
    }

    /// <summary>How the error of a pull the admin refused with 401 (a signature it does not accept) begins.</summary>
    public const string RefusedPrefix = "admin answered 401: ";

    /// <summary>
    /// Asks for the snapshot of this node's group; <paramref name="since"/> null asks for the full snapshot. Moves to
    /// the next admin when the one in use fails (see the remarks on the type).
    /// </summary>
    public async Task<PullResult> PullAsync(long? since, CancellationToken cancellationToken)
    {
        PullResult? refused = null;
        var errors = _admins.Length > 1 ? new List<string>(_admins.Length) : null;
        for (var attempt = 0; attempt < _admins.Length; attempt++)
        {
            var index = (_current + attempt) % _admins.Length;
            var result = await PullFromAsync(_admins[index], since, cancellationToken);
            if (result.Outcome != PullOutcome.Unreachable)
            {
                Use(index);
                return result;
            }

            refused ??= result.Error!.StartsWith(RefusedPrefix, StringComparison.Ordinal) ? result : null;
            errors?.Add($"{_admins[index]}: {result.Error}");
            if (errors is null)
            {
                return result;
            }
        }

        // A refusal is a configuration error (the control secret) and is reported as such even if others were down.
        return refused ?? new PullResult(PullOutcome.Unreachable, Error: string.Join("; ", errors!));
    }

    private async Task<PullResult> PullFromAsync(Uri admin, long? since, CancellationToken cancellationToken)
    {
        var query = $"{ConfigPath}?group={Uri.EscapeDataString(_options.Group)}&node={Uri.EscapeDataString(_options.NodeId)}";
        if (since is { } version)
        {
            query += "&since=" + version.ToString(CultureInfo.InvariantCulture);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(admin, query));
        Sign(request, []);
        string body;
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                Log.NotModified(_logger, since ?? 0);
                return new PullResult(PullOutcome.NotModified);
            }

            body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new PullResult(PullOutcome.Unreachable, Error: response.StatusCode == HttpStatusCode.Unauthorized
                    ? $"{RefusedPrefix}{Truncate(body)}"
                    : $"admin answered {(int)response.StatusCode}: {Truncate(body)}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new PullResult(PullOutcome.Unreachable, Error: ex is TaskCanceledException ? $"no answer within {RequestTimeout.TotalSeconds:0} s" : ex.Message);
        }

        try
        {
            var document = SnapshotDocument.Parse(body, _options.Group, "admin");
            Log.Pulled(_logger, document.Version, since ?? 0);
            return new PullResult(PullOutcome.Snapshot, document);
        }
        catch (InvalidDataException ex)
        {
            return new PullResult(PullOutcome.Rejected, Error: ex.Message);
        }
    }

    /// <summary>
    /// Reports the applied version, moving to the next admin when the one in use does not take it; false (logged)
    /// when none did.
    /// </summary>
    public async Task<bool> SendHeartbeatAsync(GatewayHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(heartbeat, ControlJson.OmitNulls);
        for (var attempt = 0; attempt < _admins.Length; attempt++)
        {
            var index = (_current + attempt) % _admins.Length;
            if (await SendHeartbeatToAsync(_admins[index], heartbeat.Version, body, cancellationToken))
            {
                Use(index);
                return true;
            }
        }

        return false;
    }

    private async Task<bool> SendHeartbeatToAsync(Uri admin, long version, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(admin, HeartbeatPath))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        Sign(request, body);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                Log.HeartbeatSent(_logger, version);
                return true;
            }

            Log.HeartbeatRefused(_logger, admin.ToString(), (int)response.StatusCode, Truncate(await response.Content.ReadAsStringAsync(cancellationToken)));
            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.HeartbeatFailed(_logger, admin.ToString(), ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Fetches the plugin package <paramref name="sha256"/> (<c>GET /api/v1/gateway/plugins/{sha256}</c>, signed), trying
    /// the admins in order; the bytes as sent, or null and why. The caller verifies them against the pin.
    /// </summary>
    public async Task<(byte[]? Package, string? Error)> DownloadPluginAsync(string sha256, CancellationToken cancellationToken)
    {
        var errors = new List<string>(_admins.Length);
        for (var attempt = 0; attempt < _admins.Length; attempt++)
        {
            var index = (_current + attempt) % _admins.Length;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_admins[index], PluginsPath + Uri.EscapeDataString(sha256)));
            Sign(request, []);
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Use(index);
                    return (await response.Content.ReadAsByteArrayAsync(cancellationToken), null);
                }

                errors.Add($"{_admins[index]} answered {(int)response.StatusCode}: {Truncate(await response.Content.ReadAsStringAsync(cancellationToken))}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                errors.Add($"{_admins[index]}: {(ex is TaskCanceledException ? $"no answer within {RequestTimeout.TotalSeconds:0} s" : ex.Message)}");
            }
        }

        return (null, string.Join("; ", errors));
    }

    public void Dispose() => _http.Dispose();

    private void Use(int index)
    {
        if (index != _current)
        {
            Log.AdminSwitched(_logger, _admins[_current].ToString(), _admins[index].ToString());
            _current = index;
        }
    }

    private void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(_options.ControlSecret))
        {
            // Sent unsigned: the admin refuses it with 401, which the caller reports (AdminConfigSync warns at start).
            return;
        }

        // Sign exactly the path and query that go on the wire.
        var pathAndQuery = request.RequestUri!.PathAndQuery;
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        request.Headers.Add(ControlSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(ControlSignature.SignatureHeader,
            ControlSignature.Sign(_options.ControlSecret, timestamp, request.Method.Method, pathAndQuery, body));
    }

    private static string Truncate(string text) => (text.Length > 200 ? text[..200] + "…" : text).ReplaceLineEndings(" ");

    private static partial class Log
    {
        [LoggerMessage(EventId = 3301, Level = LogLevel.Debug, Message = "Pulled config version {Version} from the admin (since {Since})")]
        public static partial void Pulled(ILogger logger, long version, long since);

        [LoggerMessage(EventId = 3302, Level = LogLevel.Debug, Message = "Admin has nothing newer than version {Since}")]
        public static partial void NotModified(ILogger logger, long since);

        [LoggerMessage(EventId = 3303, Level = LogLevel.Debug, Message = "Heartbeat sent (version {Version})")]
        public static partial void HeartbeatSent(ILogger logger, long version);

        [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Admin {AdminUrl} refused the heartbeat with {Status}: {Body}")]
        public static partial void HeartbeatRefused(ILogger logger, string adminUrl, int status, string body);

        [LoggerMessage(EventId = 3305, Level = LogLevel.Debug, Message = "Heartbeat to {AdminUrl} failed: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string adminUrl, string reason);

        [LoggerMessage(EventId = 3306, Level = LogLevel.Warning, Message = "Admin {From} failed; config and heartbeats now go to admin {To}")]
        public static partial void AdminSwitched(ILogger logger, string from, string to);
    }
}
