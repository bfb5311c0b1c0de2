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
    /// <summary>Maps <c>/groups/{group}/gray</c> (get, create, drop), <c>/gray/promote</c> and <c>/gray/preview</c>.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var gray = api.MapGroup("/groups/{group}/gray").WithTags("Gray config");
        gray.MapGet("", GetAsync);
        gray.MapPost("", CreateAsync).Accepts<GrayConfigRequest>("application/json");
        gray.MapDelete("", DropAsync);
        gray.MapPost("/promote", PromoteAsync);
        gray.MapPost("/preview", PreviewAsync).Accepts<GrayConfigRequest>("application/json");
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
        var (nodes, config, force, invalid) = await ReadRequestAsync(group, request, ct);
        if (invalid is not null)
        {
            return invalid;
        }

        var result = await writer.CreateAsync(group, nodes, config!, force, ct);
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

    /// <summary>
    /// Checks a would-be gray config exactly as create does and lists what it changes against the group's current normal
    /// version, storing nothing: the review step before a create.
    /// </summary>
    private static async Task<Results<Ok<GrayPreview>, ProblemHttpResult, ValidationProblem>> PreviewAsync(
        string group, HttpRequest request, AdminDbContext db, Security.AppSecretVault vault, Plugins.PluginFactoryCache pluginFactories, CancellationToken ct)
    {
        var (nodes, config, force, invalid) = await ReadRequestAsync(group, request, ct);
        if (invalid is not null)
        {
            return invalid;
        }

        var latest = await GroupEndpoints.LatestAsync(db, group, ct);
        if (latest is null)
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        if (!force && await GrayWriter.UnknownNodesAsync(db, group, nodes, ct) is { } unknownNodes)
        {
            return unknownNodes;
        }

        // The same checks as GrayWriter.CreateAsync: secrets opened, then the whole config validated.
        var proposed = config! with { Version = latest.Version, Group = group };
        var opened = vault.OpenForImport(proposed, "request", out var openErrors);
        var pinned = await Plugins.PluginPins.ResolveAsync(opened, db, pluginFactories, ct);
        var errors = openErrors.Count > 0 ? openErrors : pinned.Errors.Count > 0 ? pinned.Errors : ConfigValidator.Validate(pinned.Config, null, pinned.Catalog);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        // Compared as given: an exported (sealed) secret left alone shows no change, a new one shows its app as changed.
        var changes = ConfigDiff.Compare(ConfigSerializer.Deserialize(latest.Snapshot, "store"), proposed);
        return TypedResults.Ok(new GrayPreview(group, latest.Version, latest.Checksum, nodes, changes));
    }

    /// <summary>
    /// Reads <c>{ nodes, config, force? }</c>; <c>config</c> is a GatewayConfig object, or a string holding one as YAML or
    /// JSON text (parsed like an import, so errors carry line numbers). Checks that it names no other group.
    /// <c>force: true</c> lets the nodes include ids no gateway of the group has reported yet.
    /// </summary>
    private static async Task<(List<string> Nodes, GatewayConfig? Config, bool Force, ValidationProblem? Invalid)> ReadRequestAsync(
        string group, HttpRequest request, CancellationToken ct)
    {
        var text = await RequestBodies.ReadTextAsync(request, ct);
        if (text is null)
        {
            return ([], null, false, Problems.InvalidField("body", "the body is too large"));
        }

        JsonObject? body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException ex)
        {
            return ([], null, false, Problems.InvalidField("body", $"not valid JSON: {ex.Message}"));
        }

        if (body is null)
        {
            return ([], null, false, Problems.InvalidField("body", "expected a JSON object with 'nodes' and 'config'"));
        }

        if (body.Select(p => p.Key).FirstOrDefault(k => k is not ("nodes" or "config" or "force")) is { } unknown)
        {
            return ([], null, false, Problems.InvalidField(unknown, "unknown field; expected 'nodes', 'config' and optionally 'force'"));
        }

        var force = false;
        if (body["force"] is { } forceNode && (forceNode is not JsonValue forceValue || !forceValue.TryGetValue(out force)))
        {
            return ([], null, false, Problems.InvalidField("force", "expected true or false"));
        }

        if (ReadNodes(body["nodes"], out var nodes) is { } badNodes)
        {
            return ([], null, false, Problems.InvalidField("nodes", badNodes));
        }

        GatewayConfig config;
        try
        {
            switch (body["config"])
            {
                case JsonObject configNode:
                    config = ConfigSerializer.Deserialize(configNode.ToJsonString(), "request");
                    break;
                case JsonValue value when value.TryGetValue<string>(out var document) && !string.IsNullOrWhiteSpace(document):
                    // JSON text starts with '{'; anything else is read as YAML, the format operators edit by hand.
                    var format = document.TrimStart().StartsWith('{') ? ConfigFormat.Json : ConfigFormat.Yaml;
                    config = ConfigLoader.Parse(document, "config", format);
                    break;
                default:
                    return (nodes, null, force, Problems.InvalidField("config", "a GatewayConfig object, or its YAML or JSON text, is required"));
            }
        }
        catch (ConfigException ex)
        {
            return (nodes, null, force, Problems.Invalid(ex.Errors));
        }

        // A config written for another group would be served under this group's name without the author noticing.
        var mismatches = new List<ConfigError>();
        if (config.Group is not null && config.Group != group)
        {
            mismatches.Add(new ConfigError("request", "group", $"the config is for group '{config.Group}', not '{group}'"));
        }

        mismatches.AddRange(config.Services.Where(s => s.Group is not null && s.Group != group)
            .Select(s => new ConfigError("request", $"services[{s.Name}].group", $"the service is for group '{s.Group}', not '{group}'")));
        return mismatches.Count > 0 ? (nodes, null, force, Problems.Invalid(mismatches)) : (nodes, config, force, null);
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
