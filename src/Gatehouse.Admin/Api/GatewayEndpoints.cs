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
        gateway.MapGet("/config", GetConfigAsync);
        gateway.MapPost("/heartbeat", HeartbeatAsync).Accepts<HeartbeatRequest>("application/json");
    }

    private static async Task<Results<Ok<SnapshotDocument>, StatusCodeHttpResult, ProblemHttpResult, ValidationProblem>> GetConfigAsync(
        HttpContext context, string? group, string? node, string? since, ControlSignatureCheck signature, AdminDbContext db,
        CancellationToken ct)
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

        var latest = await GroupEndpoints.LatestAsync(db, group, ct);
        if (latest is null)
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        // A node listed in the active gray config gets the gray snapshot instead; the 304 rule then compares with it.
        if (!string.IsNullOrEmpty(node) && await GrayWriter.FindAsync(db, group, ct) is { } gray && gray.Nodes.Contains(node))
        {
            latest = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == gray.Version, ct);
        }

        return known is { } current && current >= latest.Version
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(GroupEndpoints.ToDocument(latest));
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> HeartbeatAsync(
        HttpContext context, ControlSignatureCheck signature, AdminDbContext db, IOptions<JsonOptions> json, TimeProvider time,
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

        var entity = await db.GatewayNodes.FirstOrDefaultAsync(n => n.Group == heartbeat.Group && n.Id == heartbeat.NodeId, ct);
        if (entity is null)
        {
            entity = new GatewayNodeEntity { Group = heartbeat.Group, Id = heartbeat.NodeId };
            db.GatewayNodes.Add(entity);
        }

        entity.Loc = heartbeat.Loc;
        entity.ControlAddress = heartbeat.ControlAddress;
        entity.Version = heartbeat.Version;
        entity.Checksum = heartbeat.Checksum;
        entity.LastSeen = time.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two heartbeats of a new node raced on the insert; the other one recorded it, and the next one updates it.
        }

        stats.Ingest(heartbeat.Group, heartbeat.NodeId, heartbeat.Stats);
        health.Ingest(heartbeat.Group, heartbeat.NodeId, heartbeat.Unhealthy);
        plugins.Ingest(heartbeat.Group, heartbeat.NodeId, heartbeat.Plugins);

        return TypedResults.NoContent();
    }
}
