using System.Collections.Concurrent;
using Gatehouse.Admin.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Publishing;

/// <summary>What one heartbeat says about a gateway node, and when this admin received it.</summary>
internal sealed record GatewayReport(string Group, string NodeId, string? Loc, string? ControlAddress, long Version, string? Checksum,
    DateTimeOffset At);

/// <summary>
/// Records gateway heartbeats in the store (<see cref="GatewayNodeEntity"/>) with as few write transactions as the facts
/// allow: a heartbeat that repeats what this admin last wrote for the node is not written at all until the stored
/// <c>LastSeen</c> is a quarter of <see cref="AdminOptions.GatewayLiveWindow"/> old, and the heartbeats that do need a write
/// are written together, one transaction for all that arrived while the previous one ran (group commit).
/// </summary>
/// <remarks>
/// A heartbeat answers only once its facts are in the store, so what the gateway list, the push target list and any
/// other admin on the same store read is never behind an acknowledged heartbeat that changed something (the applied
/// version, the control address). Only the time of unchanged heartbeats lags, by less than a quarter of the live window,
/// so a node stays live. Measured with 10 gateways applying a change at once: ten heartbeats each doing its own
/// transaction on SQLite queued behind each other and behind the next config write (bench/RESULTS.md, convergence).
/// </remarks>
internal sealed class GatewayHeartbeatWriter(IServiceScopeFactory scopes, IOptions<AdminOptions> options)
{
    private readonly ConcurrentDictionary<(string Group, string NodeId), GatewayReport> _written = new();
    private readonly Lock _lock = new();

    // Guarded by _lock: the reports waiting for the next transaction, the task their callers wait on, and whether a
    // writer loop is running.
    private Dictionary<(string, string), GatewayReport> _pending = [];
    private TaskCompletionSource? _next;
    private bool _writing;

    /// <summary>Completes when <paramref name="report"/> is in the store, or at once when it adds nothing to what is.</summary>
    public Task RecordAsync(GatewayReport report, CancellationToken cancellationToken)
    {
        var key = (report.Group, report.NodeId);
        if (_written.TryGetValue(key, out var last) && SameFacts(last, report)
            && report.At - last.At < options.Value.GatewayLiveWindow / 4)
        {
            return Task.CompletedTask;
        }

        Task written;
        lock (_lock)
        {
            _pending[key] = report;
            _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            written = _next.Task;
            if (!_writing)
            {
                _writing = true;
                _ = Task.Run(WriteLoopAsync, CancellationToken.None);
            }
        }

        return written.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets what was written for the group's nodes (the group was deleted with them).</summary>
    public void Forget(string group)
    {
        foreach (var key in _written.Keys)
        {
            if (key.Group == group)
            {
                _written.TryRemove(key, out _);
            }
        }
    }

    private static bool SameFacts(GatewayReport a, GatewayReport b) =>
        a.Version == b.Version && a.Checksum == b.Checksum && a.Loc == b.Loc && a.ControlAddress == b.ControlAddress;

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            Dictionary<(string, string), GatewayReport> batch;
            TaskCompletionSource done;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _writing = false;
                    return;
                }

                (batch, _pending) = (_pending, []);
                (done, _next) = (_next!, null);
            }

            try
            {
                await WriteAsync(batch.Values);
                foreach (var (key, report) in batch)
                {
                    _written[key] = report;
                }

                done.SetResult();
            }
            catch (Exception ex)
            {
                // Every heartbeat of the batch fails with it (the caller answers 500; the gateway sends the next one).
                done.SetException(ex);
            }
        }
    }

    private async Task WriteAsync(IReadOnlyCollection<GatewayReport> reports)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
            var groups = reports.Select(r => r.Group).Distinct().ToList();
            var stored = await db.GatewayNodes.Where(n => groups.Contains(n.Group)).ToDictionaryAsync(n => (n.Group, n.Id));
            foreach (var report in reports)
            {
                if (!stored.TryGetValue((report.Group, report.NodeId), out var entity))
                {
                    entity = new GatewayNodeEntity { Group = report.Group, Id = report.NodeId };
                    db.GatewayNodes.Add(entity);
                }

                entity.Loc = report.Loc;
                entity.ControlAddress = report.ControlAddress;
                entity.Version = report.Version;
                entity.Checksum = report.Checksum;
                entity.LastSeen = report.At;
            }

            var sqlite = db.Database.IsSqlite();
            if (sqlite)
            {
                // Without the fsync of the log on commit: a heartbeat row lost to a power cut is rewritten by the next
                // heartbeat, while the fsync was most of the cost of these writes, taken from the config writes they
                // queue with. The connection is pooled, so config writes on it get their durable commits back below.
                await db.Database.OpenConnectionAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous = NORMAL;");
            }

            try
            {
                await db.SaveChangesAsync();
                return;
            }
            catch (DbUpdateException) when (attempt == 1)
            {
                // Another admin inserted one of these nodes meanwhile (its heartbeat went there); now it is an update.
            }
            finally
            {
                if (sqlite)
                {
                    await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous = FULL;");
                    await db.Database.CloseConnectionAsync();
                }
            }
        }
    }
}
