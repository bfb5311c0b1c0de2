using System.Text.Json;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Monitoring;

/// <summary>Alert rules CRUD, the alert history and acknowledgement (docs/admin-api.md, "Alerts").</summary>
internal static class AlertEndpoints
{
    /// <summary>Audit entity kind of rule writes.</summary>
    public const string AuditKind = "alertRule";

    private static readonly JsonSerializerOptions AuditJson = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/groups/{group}/alert-rules").WithTags("Alerts");
        rules.MapGet("", ListRulesAsync);
        rules.MapPost("", CreateRuleAsync);
        rules.MapGet("/{id}", GetRuleAsync);
        rules.MapPut("/{id}", ReplaceRuleAsync);
        rules.MapDelete("/{id}", DeleteRuleAsync);
        var alerts = api.MapGroup("/groups/{group}/alerts").WithTags("Alerts");
        alerts.MapGet("", ListAlertsAsync);
        alerts.MapPost("/{id:long}/ack", AckAsync);
    }

    private static async Task<Results<Ok<IReadOnlyList<AlertRuleResource>>, ProblemHttpResult>> ListRulesAsync(
        string group, AdminDbContext db, CancellationToken ct)
    {
        if (await MissingGroupAsync(db, group, ct) is { } missing)
        {
            return missing;
        }

        // Ordered here: SQLite cannot order by DateTimeOffset columns.
        var rows = await db.AlertRules.AsNoTracking().Where(r => r.Group == group).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<AlertRuleResource>>(rows.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(AlertRuleResource.From).ToList());
    }

    private static async Task<Results<Ok<AlertRuleResource>, ProblemHttpResult>> GetRuleAsync(string group, string id, AdminDbContext db,
        CancellationToken ct)
    {
        var rule = await db.AlertRules.AsNoTracking().FirstOrDefaultAsync(r => r.Group == group && r.Id == id, ct);
        return rule is null ? Problems.NotFound($"alert rule '{id}' does not exist in group '{group}'") : TypedResults.Ok(AlertRuleResource.From(rule));
    }

    private static async Task<Results<Created<AlertRuleResource>, ValidationProblem, ProblemHttpResult>> CreateRuleAsync(
        string group, AlertRuleRequest? body, HttpContext context, AdminDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (await MissingGroupAsync(db, group, ct) is { } missing)
        {
            return missing;
        }

        var now = time.GetUtcNow();
        var rule = new AlertRuleEntity { Group = group, Id = "r-" + Guid.NewGuid().ToString("N")[..12], CreatedAt = now, UpdatedAt = now };
        if (AlertRuleValidator.Apply(body, rule) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, detail: "The alert rule is invalid; nothing was changed.");
        }

        db.AlertRules.Add(rule);
        db.AuditEntries.Add(Audit(context, group, "alertRule.create", rule.Id, null, rule, now));
        await db.SaveChangesAsync(ct);
        var resource = AlertRuleResource.From(rule);
        return TypedResults.Created($"/api/v1/groups/{group}/alert-rules/{rule.Id}", resource);
    }

    private static async Task<Results<Ok<AlertRuleResource>, ValidationProblem, ProblemHttpResult>> ReplaceRuleAsync(
        string group, string id, AlertRuleRequest? body, HttpContext context, AdminDbContext db, TimeProvider time, CancellationToken ct)
    {
        var rule = await db.AlertRules.FirstOrDefaultAsync(r => r.Group == group && r.Id == id, ct);
        if (rule is null)
        {
            return Problems.NotFound($"alert rule '{id}' does not exist in group '{group}'");
        }

        var before = AuditJsonOf(rule);
        if (AlertRuleValidator.Apply(body, rule) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, detail: "The alert rule is invalid; nothing was changed.");
        }

        rule.UpdatedAt = time.GetUtcNow();
        var entry = Audit(context, group, "alertRule.replace", id, null, rule, rule.UpdatedAt);
        entry.Before = before;
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(AlertRuleResource.From(rule));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteRuleAsync(string group, string id, HttpContext context, AdminDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var rule = await db.AlertRules.FirstOrDefaultAsync(r => r.Group == group && r.Id == id, ct);
        if (rule is null)
        {
            return Problems.NotFound($"alert rule '{id}' does not exist in group '{group}'");
        }

        var now = time.GetUtcNow();

        // A deleted rule is no longer evaluated, so its open alert would stay firing for ever: it is closed here, unnotified.
        foreach (var open in await db.Alerts.Where(a => a.Group == group && a.RuleId == id && a.State == AlertStates.Firing).ToListAsync(ct))
        {
            open.State = AlertStates.Resolved;
            open.ResolvedAt = now;
        }

        db.AlertRules.Remove(rule);
        db.AuditEntries.Add(Audit(context, group, "alertRule.delete", id, rule, null, now));
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<IReadOnlyList<AlertResource>>, ValidationProblem, ProblemHttpResult>> ListAlertsAsync(
        string group, string? state, string? rule, int? limit, AdminDbContext db, CancellationToken ct)
    {
        if (state is not (null or AlertStates.Firing or AlertStates.Resolved))
        {
            return Problems.InvalidField("state", "must be firing or resolved");
        }

        if (limit is < 1 or > 1000)
        {
            return Problems.InvalidField("limit", "must be between 1 and 1000");
        }

        if (await MissingGroupAsync(db, group, ct) is { } missing)
        {
            return missing;
        }

        var query = db.Alerts.AsNoTracking().Where(a => a.Group == group);
        if (state is not null)
        {
            query = query.Where(a => a.State == state);
        }

        if (!string.IsNullOrEmpty(rule))
        {
            query = query.Where(a => a.RuleId == rule);
        }

        var rows = await query.OrderByDescending(a => a.Id).Take(limit ?? 100).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<AlertResource>>(rows.Select(AlertResource.From).ToList());
    }

    private static async Task<Results<Ok<AlertResource>, ProblemHttpResult>> AckAsync(string group, long id, HttpContext context, AdminDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var alert = await db.Alerts.FirstOrDefaultAsync(a => a.Group == group && a.Id == id, ct);
        if (alert is null)
        {
            return Problems.NotFound($"alert {id} does not exist in group '{group}'");
        }

        // Acknowledging twice keeps the first actor and time: the history says who took it first.
        if (alert.AckedAt is null)
        {
            alert.AckedAt = time.GetUtcNow();
            alert.AckedBy = Actor(context);
            await db.SaveChangesAsync(ct);
        }

        return TypedResults.Ok(AlertResource.From(alert));
    }

    private static async Task<ProblemHttpResult?> MissingGroupAsync(AdminDbContext db, string group, CancellationToken ct) =>
        await db.Groups.AsNoTracking().AnyAsync(g => g.Name == group, ct) ? null : Problems.NotFound($"group '{group}' does not exist");

    /// <summary>The authenticated user (or <c>registry</c>) that made the call, as every audited admin write names it.</summary>
    private static string Actor(HttpContext context) => context.Principal()?.Name ?? CurrentActor.System;

    private static AuditEntryEntity Audit(HttpContext context, string group, string action, string id, AlertRuleEntity? before,
        AlertRuleEntity? after, DateTimeOffset now) => new()
    {
        Group = group,
        Actor = Actor(context),
        CreatedAt = now,
        Action = action,
        EntityKind = AuditKind,
        EntityId = id,
        Before = before is null ? null : AuditJsonOf(before),
        After = after is null ? null : AuditJsonOf(after),
        Summary = $"{action} {id}",
    };

    private static string AuditJsonOf(AlertRuleEntity rule) => JsonSerializer.Serialize(AlertRuleResource.From(rule), AuditJson);
}
