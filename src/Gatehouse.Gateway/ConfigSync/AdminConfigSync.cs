using Gatehouse.Core.Config;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// Admin mode: keeps the node's config in step with the admin (docs/sync-protocol.md). Pulls at start, on every
/// signed push and every <see cref="GatewayOptions.PullInterval"/>; applies newer snapshots through
/// <see cref="ConfigApplier"/>; keeps the last applied one in the local snapshot file so a restart without the
/// admin still serves; reports the applied version in heartbeats.
/// </summary>
/// <remarks>
/// Notify-then-pull: a push only wakes the loop, and every pull asks for everything since the node's version, so a
/// lost push is healed by the next timed pull. A failed pull never touches the snapshot in force.
/// </remarks>
internal sealed partial class AdminConfigSync : BackgroundService
{
    /// <summary>Bound on the pull made before the server takes traffic, so an unreachable admin cannot hold up start.</summary>
    internal static readonly TimeSpan StartupPullTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    private readonly AdminConfigClient _client;
    private readonly ConfigApplier _applier;
    private readonly SnapshotState _state;
    private readonly ConfigPullSignal _signal;
    private readonly GatewayOptions _options;
    private readonly ILogger<AdminConfigSync> _logger;
    private readonly TimeProvider _time;
    private readonly string _snapshotPath;
    private readonly string _controlAddress;
    private readonly GatewayMetrics? _metrics;
    private readonly Filters.Plugins.Loading.PluginRegistry? _plugins;
    private readonly PluginDistribution? _distribution;
    private readonly string _startId = Guid.NewGuid().ToString("N")[..16];
    private TimeSpan _retryDelay = FirstRetryDelay;
    private bool _adminDown;

    // True during the start-up pull: a failure then is followed by the local snapshot file, which logs what it serves.
    private bool _starting;

    // Set while the admin answers 401: a refusal is a configuration error (a control secret it does not accept, as
    // after a rotation this node missed), logged as such once per episode even inside an outage already reported.
    private bool _refused;

    public AdminConfigSync(AdminConfigClient client, ConfigApplier applier, SnapshotState state, ConfigPullSignal signal,
        IOptions<GatewayOptions> options, ILogger<AdminConfigSync> logger, TimeProvider time, GatewayMetrics? metrics = null,
        Filters.Plugins.Loading.PluginRegistry? plugins = null, PluginDistribution? distribution = null)
    {
        _distribution = distribution;
        _plugins = plugins;
        _metrics = metrics;
        _client = client;
        _applier = applier;
        _state = state;
        _signal = signal;
        _options = options.Value;
        _logger = logger;
        _time = time;
        _snapshotPath = _options.ResolveSnapshotPath();
        _controlAddress = _options.ResolveControlAddress();
    }

    /// <summary>What a sync attempt achieved.</summary>
    private enum SyncResult
    {
        Failed,
        UpToDate,
        Applied,
    }

    /// <summary>
    /// Pulls once (bounded by <see cref="StartupPullTimeout"/>) before the server starts taking traffic; falls back
    /// to the local snapshot file when the admin cannot give a config.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _starting = true;
        Log.Starting(_logger, _options.AdminUrl!, _options.Group, _options.NodeId, _snapshotPath);
        if (_options.ConfigPath is { } path)
        {
            Log.ConfigPathIgnored(_logger, path);
        }

        if (string.IsNullOrEmpty(_options.ControlSecret))
        {
            Log.NoControlSecret(_logger, GatewayOptions.ControlSecretKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartupPullTimeout);
        var result = SyncResult.Failed;
        try
        {
            result = await PullAndApplyAsync(since: null, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            NoteUnreachable($"no config within {StartupPullTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Start must not fail on the admin's account: the snapshot file and the retry loop take over.
            Log.IterationFailed(_logger, ex);
        }

        _starting = false;
        if (result == SyncResult.Failed && _state.Current is null)
        {
            await LoadSnapshotFileAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var now = _time.GetUtcNow();
        var nextPull = now + (_adminDown || _refused ? _retryDelay : _options.PullInterval);
        var nextHeartbeat = now;
        var pushed = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                now = _time.GetUtcNow();
                if (pushed || now >= nextPull)
                {
                    var result = await PullAndApplyAsync(_state.Current?.Version, stoppingToken);
                    nextPull = _time.GetUtcNow() + (result == SyncResult.Failed ? NextRetryDelay() : _options.PullInterval);
                    if (result == SyncResult.Applied)
                    {
                        // The admin's convergence view should not wait a heartbeat interval for the new version.
                        nextHeartbeat = now;
                    }
                }

                if (_time.GetUtcNow() >= nextHeartbeat)
                {
                    await _client.SendHeartbeatAsync(CurrentHeartbeat(), stoppingToken);
                    nextHeartbeat = _time.GetUtcNow() + _options.HeartbeatInterval;
                }

                var wake = nextPull < nextHeartbeat ? nextPull : nextHeartbeat;
                pushed = await _signal.WaitAsync(wake - _time.GetUtcNow(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // One bad iteration must not end syncing (an unhandled exception would stop the host).
                Log.IterationFailed(_logger, ex);
                pushed = false;
                nextPull = _time.GetUtcNow() + NextRetryDelay();
                await Task.Delay(FirstRetryDelay, _time, stoppingToken);
            }
        }
    }

    private async Task<SyncResult> PullAndApplyAsync(long? since, CancellationToken cancellationToken)
    {
        var pull = await _client.PullAsync(since, cancellationToken);
        switch (pull.Outcome)
        {
            case PullOutcome.Unreachable:
                NoteUnreachable(pull.Error!);
                return SyncResult.Failed;
            case PullOutcome.Rejected:
                NoteReachable();
                Log.DocumentRejected(_logger, pull.Error!);
                return SyncResult.Failed;
            case PullOutcome.NotModified:
                NoteReachable();
                return SyncResult.UpToDate;
        }

        NoteReachable();
        var document = pull.Document!;
        if (_state.Current is { } current && document.Version <= current.Version && document.Checksum != current.Checksum)
        {
            // "Apply when newer": an older or equal version with other content is the admin going backwards.
            Log.OlderIgnored(_logger, document.Version, current.Version);
            return SyncResult.UpToDate;
        }

        var applied = await ApplyWithPluginsAsync(document.Config, "admin", cancellationToken);
        if (applied is { } failed && failed.Failed)
        {
            return SyncResult.Failed;
        }

        // Written after the apply succeeded, so the file only ever holds a config this node accepted.
        if (applied is not null || !File.Exists(_snapshotPath))
        {
            await WriteSnapshotFileAsync(document, cancellationToken);
        }

        return applied is null ? SyncResult.UpToDate : SyncResult.Applied;
    }

    /// <summary>
    /// Gets the plugin packages <paramref name="config"/> pins, then applies both together. Null when the config was
    /// unchanged; <c>Failed</c> when a package could not be had or loaded, or the config was rejected (all logged), and
    /// the previous snapshot keeps serving.
    /// </summary>
    private async Task<(bool Failed, ConfigSnapshot? Snapshot)?> ApplyWithPluginsAsync(GatewayConfig config, string source,
        CancellationToken cancellationToken)
    {
        PreparedPlugins? prepared = null;
        if (_distribution is not null && (config.Plugins is { Count: > 0 } || _plugins?.HasDistributed == true))
        {
            prepared = await _distribution.PrepareAsync(config.Plugins, cancellationToken);
            if (prepared.Error is { } error)
            {
                Log.PluginsUnavailable(_logger, config.Version, error, Serving());
                return (true, null);
            }
        }

        ConfigSnapshot? applied;
        try
        {
            applied = await _applier.ApplyAsync(config, source, prepared?.Plugins, cancellationToken);
        }
        catch (ConfigException)
        {
            // The applier has logged the problems; the previous config keeps serving.
            prepared?.Abandon();
            return (true, null);
        }

        if (applied is null)
        {
            prepared?.Abandon();
            return null;
        }

        _distribution?.Prune(config.Plugins);
        return (false, applied);
    }

    private async Task LoadSnapshotFileAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_snapshotPath))
        {
            Log.NoConfigAvailable(_logger, _snapshotPath);
            return;
        }

        try
        {
            var json = await File.ReadAllTextAsync(_snapshotPath, cancellationToken);
            var document = SnapshotDocument.Parse(json, _options.Group, _snapshotPath);
            if (await ApplyWithPluginsAsync(document.Config, "snapshot file", cancellationToken) is { Failed: false })
            {
                Log.ServingFromSnapshotFile(_logger, document.Version, _snapshotPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ConfigException)
        {
            Log.SnapshotFileUnusable(_logger, _snapshotPath, ex.Message);
        }
    }

    /// <summary>Temp file in the same directory, then a rename over the old file: readers see old or new, never half.</summary>
    private async Task WriteSnapshotFileAsync(SnapshotDocument document, CancellationToken cancellationToken)
    {
        try
        {
            await AtomicFile.WriteAsync(_snapshotPath, System.Text.Encoding.UTF8.GetBytes(document.ToJson()), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The config is applied either way; only a restart without the admin would miss this version.
            Log.SnapshotFileWriteFailed(_logger, _snapshotPath, ex.Message);
        }
    }

    private GatewayHeartbeat CurrentHeartbeat()
    {
        var current = _state.Current;
        // Read here, on the heartbeat timer, so statistics cost the request path nothing beyond the cells it already writes.
        var stats = _metrics is null ? null : HeartbeatStats.Read(_metrics, _startId);
        return new GatewayHeartbeat(_options.NodeId, _options.Group, _options.Loc, _controlAddress, current?.Version ?? 0, current?.Checksum ?? "",
            stats, HeartbeatHealth.Read(current), _options.PluginsPath is null && _plugins?.HasDistributed != true ? null : _plugins?.Problems());
    }

    private TimeSpan NextRetryDelay()
    {
        // Doubling backoff, never slower than the ordinary pull timer.
        var delay = _retryDelay < _options.PullInterval ? _retryDelay : _options.PullInterval;
        _retryDelay = delay * 2;
        return delay;
    }

    private void NoteUnreachable(string reason)
    {
        if (reason.StartsWith(AdminConfigClient.RefusedPrefix, StringComparison.Ordinal))
        {
            NoteRefused(reason);
            return;
        }

        // Warn once per outage; every retry after that is Debug so an outage does not flood the log.
        if (!_adminDown)
        {
            _adminDown = true;
            Log.AdminUnreachable(_logger, _options.AdminUrl!, reason, Serving());
        }
        else
        {
            Log.StillUnreachable(_logger, reason);
        }
    }

    /// <summary>
    /// The admin answered 401: it is reachable and refuses this node's calls, a configuration error to report as one
    /// (calling it unreachable sends the operator to the network). Logged once per episode.
    /// </summary>
    private void NoteRefused(string reason)
    {
        if (_adminDown)
        {
            _adminDown = false;
            Log.AdminReachable(_logger, _options.AdminUrl!);
        }

        if (_refused)
        {
            Log.StillRefused(_logger, reason);
            return;
        }

        _refused = true;
        if (string.IsNullOrEmpty(_options.ControlSecret))
        {
            Log.UnsignedRefused(_logger, _options.AdminUrl!, reason, GatewayOptions.ControlSecretKey, Serving());
        }
        else
        {
            Log.SignatureRefused(_logger, reason, GatewayOptions.ControlSecretKey, Serving());
        }
    }

    /// <summary>What this node serves meanwhile, for the log lines of a failed pull.</summary>
    private string Serving() => _state.Current is { } current
        ? $"still serving config version {current.Version}"
        : _starting
            ? "trying the local snapshot file next"
            : "no config is loaded (requests get 503 no_config)";

    private void NoteReachable()
    {
        _retryDelay = FirstRetryDelay;
        if (_refused)
        {
            _refused = false;
            Log.SignatureAccepted(_logger, _options.AdminUrl!);
        }

        if (_adminDown)
        {
            _adminDown = false;
            Log.AdminReachable(_logger, _options.AdminUrl!);
        }
    }
}
