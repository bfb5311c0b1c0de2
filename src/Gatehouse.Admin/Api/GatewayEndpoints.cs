using System.Text.Json;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Api;

/// <summary>The endpoints gateways call (docs/sync-protocol.md), authenticated by the control signature, not a token.</summary>
internal static class GatewayEndpoints
{
    /// <summary>Maps the config pull and heartbeat endpoints under the gateway prefix.</summary>
    public static void Map(RouteGroupBuilder gateway)
    {
        // The body is the snapshot document, written from memory (SnapshotDocumentCache) rather than serialised per pull.
        gateway.MapGet("/config", GetConfigAsync).Produces<SnapshotDocument>(StatusCodes.Status200OK, "application/json");
        gateway.MapPost("/heartbeat", HeartbeatAsync).Accepts<HeartbeatRequest>("application/json");
        gateway.MapGet("/plugins/{sha256}", DownloadPluginAsync).Produces<byte[]>(StatusCodes.Status200OK, "application/zip");
    }

    /// <summary>
    /// A plugin package by its sha256, for a gateway whose snapshot pins it. Served as stored: the gateway verifies the
    /// bytes against the pin in its signed snapshot before it keeps or loads them.
    /// </summary>
    private static async Task<IResult> DownloadPluginAsync(HttpContext context, string sha256, ControlSignatureCheck signature, AdminDbContext db,
        CancellationToken ct)
    {
        if (signature.Check(context, []) is { } unauthorized)
        {
            return unauthorized;
        }

        if (!Core.Plugins.PluginPackage.IsSha256(sha256))
        {
            return Problems.InvalidField("sha256", "must be 64 lower-case hex digits");
        }

        var content = await db.PluginPackages.AsNoTracking().Where(p => p.Sha256 == sha256).Select(p => p.Content).FirstOrDefaultAsync(ct);
        return content is null
            ? Problems.NotFound($"no plugin package has sha256 {sha256}")
            : TypedResults.Bytes(content, "application/zip");
    }

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult, ValidationProblem>> GetConfigAsync(
        HttpContext context, string? group, string? node, string? since, ControlSignatureCheck signature, AdminDbContext db,
        SnapshotDocumentCache cache, CancellationToken ct)
    {
        if (signature.Check(context, []) is { } unauthorized)
        {
            return unauthorized;
        }

        if (string.IsNullOrEmpty(group))
        {
            return Problems.InvalidField("group", "the group is required");
        }

        // Parsed here rather than bound, so a malformed query is answered only after the signature was checked.
        long? known = null;
        if (!string.IsNullOrEmpty(since))
        {
            if (!long.TryParse(since, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return Problems.InvalidField("since", "must be a version number");
            }

            known = parsed;
        }

        // Version and checksum only: a gateway that is current (304) costs no snapshot read, one that is not gets the body
        // from memory when this admin has served or written that version before.
        var latest = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && !v.Gray).OrderByDescending(v => v.Version)
            .Select(v => new { v.Version, v.Checksum }).FirstOrDefaultAsync(ct);
        if (latest is null)
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        // A node listed in the active gray config gets the gray snapshot instead; the 304 rule then compares with it.
        var gray = false;
        if (!string.IsNullOrEmpty(node) && await GrayWriter.FindAsync(db, group, ct) is { } active && active.Nodes.Contains(node))
        {
            gray = true;
            latest = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && v.Version == active.Version)
                .Select(v => new { v.Version, v.Checksum }).FirstAsync(ct);
        }

        if (known is { } current && current >= latest.Version)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var body = cache.Find(group, gray, latest.Version, latest.Checksum);
        if (body is null)
        {
            var snapshot = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && v.Version == latest.Version)
                .Select(v => v.Snapshot).FirstAsync(ct);
            body = cache.Put(group, gray, latest.Version, latest.Checksum, snapshot);
        }

        return TypedResults.Bytes(body, "application/json");
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> HeartbeatAsync(
        HttpContext context, ControlSignatureCheck signature, GatewayHeartbeatWriter heartbeats, IOptions<JsonOptions> json, TimeProvider time,
        Monitoring.StatsStore stats, Monitoring.NodeHealthStore health, Monitoring.PluginProblemStore plugins, CancellationToken ct)
    {
        // The signature covers the body, so it is read whole before anything else looks at it.
        var body = await RequestBodies.ReadBytesAsync(context.Request, ct);
        if (body is null)
        {
            return Problems.InvalidField("body", "the body is too large");
        }

        if (signature.Check(context, body) is { } unauthorized)
        {
            return unauthorized;
        }

        HeartbeatRequest? heartbeat;
        try
        {
            heartbeat = JsonSerializer.Deserialize<HeartbeatRequest>(body, json.Value.SerializerOptions);
        }
        catch (JsonException ex)
        {
            return Problems.InvalidField("body", $"not a heartbeat: {ex.Message}");
        }

        if (heartbeat is null || string.IsNullOrEmpty(heartbeat.NodeId) || string.IsNullOrEmpty(heartbeat.Group))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["nodeId"] = string.IsNullOrEmpty(heartbeat?.NodeId) ? ["the node id is required"] : [],
                ["group"] = string.IsNullOrEmpty(heartbeat?.Group) ? ["the group is required"] : [],
            }.Where(e => e.Value.Length > 0).ToDictionary());
        }

        await heartbeats.RecordAsync(new GatewayReport(heartbeat.Group, heartbeat.NodeId, heartbeat.Loc, heartbeat.ControlAddress,
            heartbeat.Version, heartbeat.Checksum, time.GetUtcNow()), ct);
        stats.Ingest(heartbeat.Group, heartbeat.NodeId, heartbeat.Stats);
        health.Ingest(heartbeat.Group, heartbeat.NodeId, heartbeat.Unhealthy);
        plugins.Ingest(heartbeat.Group, heartbeat.NodeId, heartbeat.Plugins);

        return TypedResults.NoContent();
    }
}
