using Gatehouse.Admin.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Monitoring;

/// <summary>
/// Evaluates every enabled alert rule each <see cref="AlertOptions.EvaluationInterval"/> and keeps the alert history:
/// a rule whose condition starts to hold opens a <c>firing</c> alert, one whose condition stops holding resolves it.
/// </summary>
/// <remarks>
/// :: De-duplication: while an alert is open nothing more is sent; the next notification is its resolution.
/// :: Cool-down: a new firing within <c>cooldown</c> of the rule's last notification (firing or resolved) is recorded
///    but not sent, and neither is its resolution, so a flapping condition notifies once per cool-down.
/// :: Delivery runs after the history is saved, concurrently per notification, with bounded retries
///    (<see cref="WebhookNotifier"/>); a failed delivery is logged and not retried on the next pass.
/// Time comes from <see cref="TimeProvider"/>, so tests drive a pass with <see cref="EvaluateOnceAsync"/> under a fake clock.
/// </remarks>
internal sealed partial class AlertEvaluator(IServiceScopeFactory scopes, AlertConditions conditions, WebhookNotifier notifier,
    IOptions<AlertOptions> options, IOptions<AdminOptions> adminOptions, TimeProvider time, ILogger<AlertEvaluator> logger) : BackgroundService
{
    private readonly SemaphoreSlim _pass = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Evaluate)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.EvaluationInterval, time, stoppingToken);
                await EvaluateOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // One failed pass (a database hiccup) must not end evaluation: an unhandled exception would stop the host.
                Log.PassFailed(logger, ex);
            }
        }
    }

    /// <summary>One pass over every enabled rule; returns once every notification of the pass was delivered or given up.</summary>
    public async Task EvaluateOnceAsync(CancellationToken cancellationToken)
    {
        // Serialised: the timer's pass and a test's (or a second caller's) must not both open an alert for one rule.
        await _pass.WaitAsync(cancellationToken);
        List<(string Url, AlertNotification Notification)> outbox;
        try
        {
            outbox = await EvaluateRulesAsync(cancellationToken);
        }
        finally
        {
            _pass.Release();
        }

        await Task.WhenAll(outbox.Select(n => notifier.SendAsync(n.Url, n.Notification, cancellationToken)));
    }

    private async Task<List<(string, AlertNotification)>> EvaluateRulesAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
        var rules = await db.AlertRules.AsNoTracking().Where(r => r.Enabled).ToListAsync(ct);
        var open = (await db.Alerts.Where(a => a.State == AlertStates.Firing).ToListAsync(ct))
            .GroupBy(a => (a.Group, a.RuleId)).ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.Id).First());
        var outbox = new List<(string, AlertNotification)>();
        foreach (var rule in rules)
        {
            Measurement measured;
            try
            {
                measured = await conditions.MeasureAsync(rule, db, adminOptions.Value.GatewayLiveWindow, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.RuleFailed(logger, rule.Id, rule.Group, ex);
                continue;
            }

            var now = time.GetUtcNow();
            open.TryGetValue((rule.Group, rule.Id), out var alert);
            if (measured.Breached && alert is null)
            {
                // Max taken here: SQLite cannot aggregate DateTimeOffset columns. Bounded by the rule's history length.
                var lastNotified = (await db.Alerts.Where(a => a.Group == rule.Group && a.RuleId == rule.Id && a.NotifiedAt != null)
                    .Select(a => a.NotifiedAt).ToListAsync(ct)).Max();
                var quiet = lastNotified is { } last && now - last < TimeSpan.FromSeconds(rule.CooldownSeconds);
                alert = new AlertEntity
                {
                    Group = rule.Group, RuleId = rule.Id, RuleName = rule.Name, Kind = rule.Kind, State = AlertStates.Firing,
                    Value = measured.Value, Threshold = rule.Threshold, Detail = measured.Detail, FiredAt = now,
                    NotifiedAt = quiet ? null : now,
                };
                db.Alerts.Add(alert);
                await db.SaveChangesAsync(ct);
                Log.Fired(logger, rule.Name, rule.Group, measured.Detail, quiet);
                if (!quiet)
                {
                    outbox.Add((rule.WebhookUrl, Notify(alert, rule.Group, now)));
                }
            }
            else if (!measured.Breached && alert is not null)
            {
                alert.State = AlertStates.Resolved;
                alert.ResolvedAt = now;
                var notify = alert.NotifiedAt is not null;
                if (notify)
                {
                    alert.NotifiedAt = now;
                }

                await db.SaveChangesAsync(ct);
                Log.Resolved(logger, rule.Name, rule.Group);
                if (notify)
                {
                    outbox.Add((rule.WebhookUrl, Notify(alert, rule.Group, now) with { Value = measured.Value }));
                }
            }
        }

        return outbox;
    }

    private static AlertNotification Notify(AlertEntity alert, string group, DateTimeOffset now) =>
        new(alert.Id, alert.RuleId, alert.RuleName, alert.Kind, group, alert.State, alert.Value, alert.Threshold, alert.Detail, now);

    public override void Dispose()
    {
        _pass.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Alert rule '{Rule}' of group '{Group}' fired: {Detail} (cool-down suppressed the notification: {Quiet})")]
        public static partial void Fired(ILogger logger, string rule, string group, string detail, bool quiet);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Alert rule '{Rule}' of group '{Group}' resolved")]
        public static partial void Resolved(ILogger logger, string rule, string group);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Alert rule {RuleId} of group '{Group}' could not be evaluated")]
        public static partial void RuleFailed(ILogger logger, string ruleId, string group, Exception exception);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Alert evaluation pass failed; the next one runs on schedule")]
        public static partial void PassFailed(ILogger logger, Exception exception);
    }
}
