using Gatehouse.Gateway.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Health;

/// <summary>
/// Active health checks and slow start, off the request path: one timer loop walks the snapshot in force every
/// <see cref="Tick"/>, starts the probes that are due (concurrent, at most <see cref="MaxConcurrentProbes"/>), brings
/// ejected nodes back after their cool-down, and advances slow-start weights.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A node is probed when its service has active checks on and it has a probe path (its own <c>healthPath</c>
/// or <c>healthCheck.path</c>); every unhealthy or ejected node is probed, with a TCP connect when it has no path.
/// Nodes with <c>online=false</c> are probed too: health goes on while traffic is off.</item>
/// <item>Real traffic is the health signal: a node with a successful attempt within the last interval is not
/// probed (<see cref="NodeState.LastSuccess"/>).</item>
/// <item>Thresholds: <c>unhealthyThreshold</c> failed probes in a row take a healthy node out;
/// <c>healthyThreshold</c> successes in a row bring it back. A node ejected by passive checks needs one
/// successful probe after <c>ejectMs</c>.</item>
/// <item>The loop reads <see cref="SnapshotState.Current"/> on every pass, so nodes added by a config swap are
/// picked up on the next tick and removed ones are forgotten.</item>
/// </list>
/// </remarks>
public sealed partial class HealthCheckService : BackgroundService
{
    /// <summary>Weight share a node starts slow start with.</summary>
    public const int SlowStartFloorPercent = 10;

    internal const int MaxConcurrentProbes = 16;

    /// <summary>Resolution of the loop: probe times, cool-downs and slow-start steps are rounded up to it.</summary>
    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    /// <summary>Slow-start weights are recomputed (and routes rebuilt) at most this often per service.</summary>
    internal static readonly TimeSpan SlowStartStep = TimeSpan.FromSeconds(1);

    private readonly SnapshotState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<HealthCheckService> _logger;
    private readonly HealthProber _prober;
    private readonly SemaphoreSlim _probeSlots = new(MaxConcurrentProbes);
    private readonly Lock _gate = new();
    private readonly Dictionary<NodeState, Target> _targets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, long> _lastSlowStartStep = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stopping = new();
    private int _generation;

    public HealthCheckService(SnapshotState state, TimeProvider time, ILogger<HealthCheckService> logger)
        : this(state, time, logger, new HealthProber())
    {
    }

    internal HealthCheckService(SnapshotState state, TimeProvider time, ILogger<HealthCheckService> logger, HealthProber prober)
    {
        _state = state;
        _time = time;
        _logger = logger;
        _prober = prober;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        using var link = stoppingToken.Register(_stopping.Cancel);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                RunOnce();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.LoopFailed(_logger, ex);
            }
        }
    }

    public override void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _prober.Dispose();
        _probeSlots.Dispose();
        base.Dispose();
    }

    /// <summary>One pass of the loop (public to tests through InternalsVisibleTo).</summary>
    internal void RunOnce()
    {
        if (_state.Current is not { } snapshot)
        {
            return;
        }

        var now = _time.GetTimestamp();
        lock (_gate)
        {
            var generation = ++_generation;
            foreach (var service in snapshot.Services.Values)
            {
                var warming = false;
                foreach (var node in service.Nodes)
                {
                    if (!_targets.TryGetValue(node.State, out var target))
                    {
                        target = new Target { WindowStart = now };
                        _targets[node.State] = target;
                    }

                    target.Node = node;
                    target.Generation = generation;
                    Evaluate(target, now);
                    warming |= node.State.WarmingSince != 0;
                }

                if (warming)
                {
                    AdvanceSlowStart(service, now);
                }
            }

            List<NodeState>? gone = null;
            foreach (var (state, target) in _targets)
            {
                if (target.Generation != generation)
                {
                    (gone ??= []).Add(state);
                }
            }

            if (gone is not null)
            {
                foreach (var state in gone)
                {
                    _targets.Remove(state);
                }
            }
        }
    }

    private void Evaluate(Target target, long now)
    {
        var node = target.Node!;
        var policy = node.Health;
        var state = node.State;
        if (policy.FailureRatio is not null && _time.GetElapsedTime(target.WindowStart, now) >= policy.Window)
        {
            state.ResetWindow();
            target.WindowStart = now;
        }

        if (target.Probing || now < target.NextProbe)
        {
            return;
        }

        var ejectedAt = state.EjectedAt;
        if (ejectedAt != 0)
        {
            if (_time.GetElapsedTime(ejectedAt, now) < policy.Eject)
            {
                return;
            }
        }
        else if (state.Healthy)
        {
            if (!policy.ActiveEnabled || node.HealthPath is null)
            {
                return;
            }

            var lastSuccess = state.LastSuccess;
            if (lastSuccess != 0 && _time.GetElapsedTime(lastSuccess, now) < policy.Interval)
            {
                // Served real traffic successfully within the interval: that is the probe's answer.
                target.Failures = 0;
                target.NextProbe = lastSuccess + ToTimestamp(policy.Interval);
                return;
            }
        }

        target.Probing = true;
        target.NextProbe = now + ToTimestamp(policy.Interval);
        _ = ProbeAsync(target, node);
    }

    private async Task ProbeAsync(Target target, NodeModel node)
    {
        var healthy = false;
        try
        {
            await _probeSlots.WaitAsync(_stopping.Token);
            try
            {
                healthy = await _prober.ProbeAsync(node, node.Health.Timeout, _stopping.Token);
            }
            finally
            {
                _probeSlots.Release();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }

        lock (_gate)
        {
            target.Probing = false;
            Apply(target, node, healthy);
        }
    }

    private void Apply(Target target, NodeModel node, bool healthy)
    {
        var policy = node.Health;
        var state = node.State;
        if (healthy)
        {
            target.Failures = 0;
            target.Successes++;
            if (state.EjectedAt != 0 || (!state.Healthy && target.Successes >= policy.HealthyThreshold))
            {
                MarkHealthy(node);
            }

            return;
        }

        target.Successes = 0;
        target.Failures++;
        if (state.Healthy && state.EjectedAt == 0 && target.Failures >= policy.UnhealthyThreshold)
        {
            if (NodeHealthUpdater.SetHealthy(_state, state, node.ServiceName, healthy: false))
            {
                Log.NodeUnhealthy(_logger, node.ServiceName, node.Id, target.Failures);
            }
        }
    }

    private void MarkHealthy(NodeModel node)
    {
        var state = node.State;
        var wasEjected = state.EjectedAt != 0;
        if (node.Health.SlowStart > TimeSpan.Zero)
        {
            state.SetWarming(SlowStartFloorPercent, _time.GetTimestamp());
        }

        state.ClearEjection();
        if (NodeHealthUpdater.SetHealthy(_state, state, node.ServiceName, healthy: true))
        {
            Log.NodeHealthy(_logger, node.ServiceName, node.Id, wasEjected ? "ejection ended" : "probes succeeded");
        }
    }

    /// <summary>Ramps warming nodes from 10% to 100% linearly over slowStartMs; rebuilds the service's routes when a weight moved.</summary>
    private void AdvanceSlowStart(ServiceModel service, long now)
    {
        if (_lastSlowStartStep.TryGetValue(service.Name, out var last) && _time.GetElapsedTime(last, now) < SlowStartStep)
        {
            return;
        }

        _lastSlowStartStep[service.Name] = now;
        var changed = false;
        foreach (var node in service.Nodes)
        {
            var state = node.State;
            var since = state.WarmingSince;
            if (since == 0)
            {
                continue;
            }

            var percent = SlowStartPercent(node.Health.SlowStart, _time.GetElapsedTime(since, now));
            if (percent != state.WeightPercent)
            {
                state.SetWarming(percent, percent >= 100 ? 0 : since);
                changed = true;
            }
            else if (percent >= 100)
            {
                state.SetWarming(100, 0);
            }
        }

        if (changed)
        {
            NodeHealthUpdater.RebuildRoutes(_state, service.Name);
        }
    }

    /// <summary>10% at the start, 100% once <paramref name="slowStart"/> has passed (or when slow start is off), linear between.</summary>
    internal static int SlowStartPercent(TimeSpan slowStart, TimeSpan elapsed)
    {
        if (slowStart <= TimeSpan.Zero || elapsed >= slowStart)
        {
            return 100;
        }

        var fraction = Math.Max(0, elapsed.TotalMilliseconds) / slowStart.TotalMilliseconds;
        return Math.Min(100, SlowStartFloorPercent + (int)((100 - SlowStartFloorPercent) * fraction));
    }

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed class Target
    {
        public NodeModel? Node;
        public int Generation;
        public long NextProbe;
        public long WindowStart;
        public int Successes;
        public int Failures;
        public bool Probing;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Node {Service}/{Node} is unhealthy after {Failures} failed probes")]
        public static partial void NodeUnhealthy(ILogger logger, string service, string node, int failures);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Node {Service}/{Node} is healthy again ({Reason})")]
        public static partial void NodeHealthy(ILogger logger, string service, string node, string reason);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Health check loop pass failed")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
