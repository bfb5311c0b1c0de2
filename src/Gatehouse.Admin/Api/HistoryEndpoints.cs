using System.Text.Json.Nodes;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>Config history for operators: the audit log, the diff of two versions, and rollback to a version.</summary>
internal static class HistoryEndpoints
{
    /// <summary>Maps <c>/audit</c>, <c>/groups/{group}/versions/{a}/diff/{b}</c> and <c>/groups/{group}/versions/{v}/rollback</c>.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAuditAsync).WithTags("Audit");
        var versions = api.MapGroup("/groups/{group}/versions").WithTags("Versions");
        versions.MapGet("/{from:long}/diff/{to:long}", DiffAsync);
        versions.MapPost("/{version:long}/rollback", RollbackAsync);
    }

    /// <summary>
    /// The audit log, newest first; <c>group</c>, <c>entityKind</c>, <c>entity</c> (the entity id, e.g. a service name) and
    /// <c>actor</c> filter exactly, <c>since</c> (inclusive) and <c>until</c> (exclusive) by commit time.
    /// </summary>
    private static async Task<Results<Ok<Page<AuditEntryResource>>, ValidationProblem>> ListAuditAsync(
        string? group, string? entityKind, string? entity, string? actor, string? since, string? until, int? offset, int? limit,
        AdminDbContext db, CancellationToken ct)
    {
        if (RequestBodies.CheckPaging(offset, limit, out var skip, out var take) is { } invalid)
        {
            return invalid;
        }

        if (ReadTime(since, "since", out var from) is { } badSince)
        {
            return badSince;
        }

        if (ReadTime(until, "until", out var to) is { } badUntil)
        {
            return badUntil;
        }

        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrEmpty(group))
        {
            query = query.Where(a => a.Group == group);
        }

        if (!string.IsNullOrEmpty(entityKind))
        {
            query = query.Where(a => a.EntityKind == entityKind);
        }

        if (!string.IsNullOrEmpty(entity))
        {
            query = query.Where(a => a.EntityId == entity);
        }

        if (!string.IsNullOrEmpty(actor))
        {
            query = query.Where(a => a.Actor == actor);
        }

        if (from is null && to is null)
        {
            var total = await query.CountAsync(ct);
            var rows = await query.OrderByDescending(a => a.Id).Skip(skip).Take(take).ToListAsync(ct);
            return TypedResults.Ok(new Page<AuditEntryResource>(rows.Select(ToResource).ToList(), total));
        }

        // SQLite cannot compare DateTimeOffset columns in SQL, so the time range is applied to the (id, time) pairs of the
        // rows the other filters leave, and only the requested page of whole rows is read.
        var stamps = await query.Select(a => new { a.Id, a.CreatedAt }).ToListAsync(ct);
        var ids = stamps.Where(a => (from is null || a.CreatedAt >= from) && (to is null || a.CreatedAt < to))
            .Select(a => a.Id).OrderDescending().ToList();
        var pageIds = ids.Skip(skip).Take(take).ToList();
        var page = await db.AuditEntries.AsNoTracking().Where(a => pageIds.Contains(a.Id)).OrderByDescending(a => a.Id).ToListAsync(ct);
        return TypedResults.Ok(new Page<AuditEntryResource>(page.Select(ToResource).ToList(), ids.Count));
    }

    /// <summary>Null when <paramref name="text"/> is absent or an ISO 8601 time (UTC when it names no offset); else the 400.</summary>
    private static ValidationProblem? ReadTime(string? text, string field, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return Problems.InvalidField(field, "expected an ISO 8601 time, e.g. 2025-01-31T08:00:00Z");
        }

        time = parsed;
        return null;
    }

    private static async Task<Results<Ok<VersionDiff>, ProblemHttpResult>> DiffAsync(
        string group, long from, long to, AdminDbContext db, CancellationToken ct)
    {
        var rows = await db.ConfigVersions.AsNoTracking()
            .Where(v => v.Group == group && (v.Version == from || v.Version == to)).ToListAsync(ct);
        var before = rows.Find(v => v.Version == from);
        var after = rows.Find(v => v.Version == to);
        if (before is null || after is null)
        {
            return Problems.NotFound($"version {(before is null ? from : to)} of group '{group}' does not exist");
        }

        var changes = ConfigDiff.Compare(ConfigSerializer.Deserialize(before.Snapshot, "store"), ConfigSerializer.Deserialize(after.Snapshot, "store"));
        return TypedResults.Ok(new VersionDiff(group, from, to, before.Checksum, after.Checksum, changes));
    }

    /// <summary>Publishes version <paramref name="version"/>'s config again as a new version, through the validated write path.</summary>
    private static async Task<Results<Ok<VersionSummary>, ProblemHttpResult, ValidationProblem>> RollbackAsync(
        string group, long version, ConfigWriter writer, AdminDbContext db, Security.AppSecretVault vault, CancellationToken ct)
    {
        // Published snapshots never change, so reading the source outside the write gate is safe.
        var source = await db.ConfigVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Group == group && v.Version == version, ct);
        if (source is null)
        {
            return Problems.NotFound($"version {version} of group '{group}' does not exist");
        }

        // Published app secrets are sealed for transport; the store keeps them under its own key, so they are opened first.
        var config = vault.OpenForImport(ConfigSerializer.Deserialize(source.Snapshot, "store"), "store", out var openErrors);
        if (openErrors.Count > 0)
        {
            return Problems.Invalid(openErrors);
        }

        var result = await writer.WriteAsync(group, new AuditTarget("rollback", AuditKinds.Group, group, version),
            $"rollback to version {version}", draft =>
        {
            // Every service row is rewritten (revision + 1) and the group revision moves on, so an editor holding a
            // revision from before the rollback gets 409 instead of silently overwriting the restored config.
            var existing = draft.Services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            draft.ReplaceAll(config);

            // A service restored after a deletion would start again at 1, which an editor of its deleted incarnation may
            // still hold. Each change of a service publishes one version, so no earlier revision of it can reach the
            // new version number: starting there keeps every old revision stale.
            foreach (var restored in draft.Services.Where(s => !existing.Contains(s.Name)))
            {
                restored.Revision = draft.CurrentVersion + 1;
            }

            return null;
        }, ct);

        if (result.Problem is not null)
        {
            return result.Problem;
        }

        if (result.Invalid is not null)
        {
            return result.Invalid;
        }

        var entity = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == result.Version, ct);
        return TypedResults.Ok(new VersionSummary(entity.Version, entity.Checksum, entity.Actor, entity.CreatedAt, entity.Summary));
    }

    private static AuditEntryResource ToResource(AuditEntryEntity row) => new(row.Id, row.CreatedAt, row.Actor, row.Group, row.Action,
        row.EntityKind, row.EntityId, row.Version, row.SourceVersion, row.Summary, Parse(row.Before), Parse(row.After));

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}
