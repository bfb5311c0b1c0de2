using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>
/// What the endpoints of a group's entries (services, apps, versions) do alike: list a page of the group's rows,
/// answer a read with the entry's revision as its ETag, and check an entry's existence and revision before a write.
/// </summary>
internal static class GroupEntries
{
    /// <summary>
    /// One page of <paramref name="rows"/> (the group's rows) in the order <paramref name="order"/> gives, with the
    /// total: 400 for a bad <c>offset</c>/<c>limit</c>, 404 when the group does not exist.
    /// </summary>
    /// <param name="order">Orders the rows, and may project them, so both run in the database.</param>
    public static async Task<Results<Ok<Page<TResource>>, ProblemHttpResult, ValidationProblem>> ListAsync<TRow, TItem, TResource>(
        AdminDbContext db, string group, int? offset, int? limit, IQueryable<TRow> rows,
        Func<IQueryable<TRow>, IQueryable<TItem>> order, Func<TItem, TResource> toResource, CancellationToken ct)
    {
        if (RequestBodies.CheckPaging(offset, limit, out var skip, out var take) is { } invalid)
        {
            return invalid;
        }

        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var total = await rows.CountAsync(ct);
        var page = await order(rows).Skip(skip).Take(take).ToListAsync(ct);
        return TypedResults.Ok(new Page<TResource>(page.Select(toResource).ToList(), total));
    }

    /// <summary>200 with the entry, its revision as the ETag that a later write quotes back in <c>If-Match</c>.</summary>
    public static Ok<TResource> WithRevision<TResource>(HttpResponse response, long revision, TResource resource)
    {
        response.Headers.ETag = $"\"{revision}\"";
        return TypedResults.Ok(resource);
    }

    /// <summary>
    /// Null when the entry exists (<paramref name="current"/> is its revision) and the caller based its change on that
    /// revision; else 404, 428 (no revision given) or 409 (a stale one).
    /// </summary>
    public static ProblemHttpResult? CheckCurrent(long? current, long? given, string what, string group) =>
        current is null
            ? Problems.NotFound($"{what} does not exist in group '{group}'")
            : RequestBodies.CheckRevision(given, current.Value, what);

    /// <summary>
    /// Removes one entry through the validated write path (a new version, an audit row, a push), quoting its revision
    /// (<c>If-Match</c>): 204, or 404/409/428 as <see cref="CheckCurrent"/> says.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync<TEntity>(
        HttpRequest request, ConfigWriter writer, string group, AuditTarget audit, string summary, string what,
        Func<GroupDraft, TEntity?> find, Func<TEntity, long> revisionOf, Action<GroupDraft, TEntity> remove, CancellationToken ct)
        where TEntity : class
    {
        if (!RequestBodies.TryGetRevision(request, null, out var revision, out var badRevision))
        {
            return badRevision!;
        }

        var result = await writer.WriteAsync(group, audit, summary, draft =>
        {
            var entity = find(draft);
            if (CheckCurrent(entity is null ? null : revisionOf(entity), revision, what, group) is { } problem)
            {
                return problem;
            }

            remove(draft, entity!);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.NoContent(),
        };
    }
}
