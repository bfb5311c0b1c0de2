using System.Text.Json;
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

/// <summary>The gray config of a group: a whole alternative config served only to the listed gateway node ids.</summary>
internal static class GrayEndpoints
{
    /// <summary>Maps <c>/groups/{group}/gray</c> (get, create, drop) and <c>/groups/{group}/gray/promote</c>.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var gray = api.MapGroup("/groups/{group}/gray").WithTags("Gray config");
        gray.MapGet("", GetAsync);
        gray.MapPost("", CreateAsync).Accepts<GrayConfigRequest>("application/json");
        gray.MapDelete("", DropAsync);
        gray.MapPost("/promote", PromoteAsync);
    }

    private static async Task<Results<Ok<GrayConfigResource>, ProblemHttpResult>> GetAsync(string group, AdminDbContext db, CancellationToken ct)
    {
        var active = await GrayWriter.FindAsync(db, group, ct);
        if (active is null)
        {
            return Problems.NotFound(await db.Groups.AnyAsync(g => g.Name == group, ct)
                ? $"group '{group}' has no gray config"
                : $"group '{group}' does not exist");
        }

        var row = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == active.Version, ct);
        return TypedResults.Ok(new GrayConfigResource(active.Nodes, row.Version, row.Checksum, active.CreatedAt, JsonNode.Parse(row.Snapshot)!));
    }

    private static async Task<Results<Created<GrayConfigResource>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string group, HttpRequest request, GrayWriter writer, AdminDbContext db, CancellationToken ct)
    {
        var text = await RequestBodies.ReadTextAsync(request, ct);
        if (text is null)
        {
            return Problems.InvalidField("body", "the body is too large");
        }

        JsonObject? body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException ex)
        {
            return Problems.InvalidField("body", $"not valid JSON: {ex.Message}");
        }

        if (body is null)
        {
            return Problems.InvalidField("body", "expected a JSON object with 'nodes' and 'config'");
        }

        if (body.Select(p => p.Key).FirstOrDefault(k => k is not ("nodes" or "config")) is { } unknown)
        {
            return Problems.InvalidField(unknown, "unknown field; expected 'nodes' and 'config'");
        }

        if (ReadNodes(body["nodes"], out var nodes) is { } badNodes)
        {
            return Problems.InvalidField("nodes", badNodes);
        }

        if (body["config"] is not JsonObject configNode)
        {
            return Problems.InvalidField("config", "a GatewayConfig object is required");
        }

        GatewayConfig config;
        try
        {
            config = ConfigSerializer.Deserialize(configNode.ToJsonString(), "request");
        }
        catch (ConfigException ex)
        {
            return Problems.Invalid(ex.Errors);
        }

        // A config written for another group would be served under this group's name without the author noticing.
        var mismatches = new List<ConfigError>();
        if (config.Group is not null && config.Group != group)
        {
            mismatches.Add(new ConfigError("request", "group", $"the config is for group '{config.Group}', not '{group}'"));
        }

        mismatches.AddRange(config.Services.Where(s => s.Group is not null && s.Group != group)
            .Select(s => new ConfigError("request", $"services[{s.Name}].group", $"the service is for group '{s.Group}', not '{group}'")));
        if (mismatches.Count > 0)
        {
            return Problems.Invalid(mismatches);
        }

        var result = await writer.CreateAsync(group, nodes, config, ct);
        if (result.Problem is not null)
        {
            return result.Problem;
        }

        if (result.Invalid is not null)
        {
            return result.Invalid;
        }

        var row = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == result.Version, ct);
        var created = await GrayWriter.FindAsync(db, group, ct);
        return TypedResults.Created($"/api/v1/groups/{group}/gray",
            new GrayConfigResource(nodes, row.Version, row.Checksum, created?.CreatedAt ?? row.CreatedAt, JsonNode.Parse(row.Snapshot)!));
    }

    private static async Task<Results<Ok<VersionSummary>, ProblemHttpResult, ValidationProblem>> PromoteAsync(
        string group, GrayWriter writer, AdminDbContext db, CancellationToken ct) =>
        await SummaryAsync(await writer.PromoteAsync(group, ct), group, db, ct);

    private static async Task<Results<Ok<VersionSummary>, ProblemHttpResult, ValidationProblem>> DropAsync(
        string group, GrayWriter writer, AdminDbContext db, CancellationToken ct) =>
        await SummaryAsync(await writer.DropAsync(group, ct), group, db, ct);

    private static async Task<Results<Ok<VersionSummary>, ProblemHttpResult, ValidationProblem>> SummaryAsync(
        WriteResult result, string group, AdminDbContext db, CancellationToken ct)
    {
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

    /// <summary>Null when <paramref name="node"/> is a non-empty array of distinct, non-empty node ids; otherwise why not.</summary>
    private static string? ReadNodes(JsonNode? node, out List<string> nodes)
    {
        nodes = [];
        if (node is not JsonArray array || array.Count == 0)
        {
            return "a non-empty array of gateway node ids is required";
        }

        foreach (var item in array)
        {
            if (item is not JsonValue value || !value.TryGetValue<string>(out var id) || string.IsNullOrWhiteSpace(id))
            {
                return "every node id must be a non-empty string";
            }

            if (nodes.Contains(id, StringComparer.Ordinal))
            {
                return $"node id '{id}' is listed twice";
            }

            nodes.Add(id);
        }

        return null;
    }
}
