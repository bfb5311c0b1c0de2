using System.Text.Json.Nodes;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Api;

/// <summary>Groups, their published versions, their gateway nodes, and import/export of a group's whole config.</summary>
internal static class GroupEndpoints
{
    /// <summary>Maps the group, version, gateway-list and import/export endpoints.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/groups").WithTags("Groups");
        groups.MapGet("", ListAsync);
        groups.MapPost("", CreateAsync);
        groups.MapDelete("/{group}", DeleteAsync);
        groups.MapGet("/{group}/versions", ListVersionsAsync).WithTags("Versions");
        groups.MapGet("/{group}/versions/{version:long}", GetVersionAsync).WithTags("Versions");
        groups.MapGet("/{group}/gateways", ListGatewaysAsync).WithTags("Gateways");
        groups.MapPost("/{group}/gateways/{nodeId}/push", PushAsync).WithTags("Gateways");
        groups.MapGet("/{group}/export", ExportAsync)
            .Produces<GatewayConfig>(StatusCodes.Status200OK, "application/json", ExportFormats.Yaml, ExportFormats.TextYaml)
            .WithTags("Import and export");
        groups.MapPost("/{group}/import", ImportAsync)
            .Accepts<GatewayConfig>("application/json", "application/yaml", "text/yaml").WithTags("Import and export");
    }

    private static async Task<Ok<IReadOnlyList<GroupResource>>> ListAsync(AdminDbContext db, CancellationToken ct)
    {
        var groups = await db.Groups.AsNoTracking().OrderBy(g => g.Name).ToListAsync(ct);
        var versions = await db.ConfigVersions.Where(v => !v.Gray).GroupBy(v => v.Group)
            .Select(g => new { Group = g.Key, Version = g.Max(v => v.Version) }).ToDictionaryAsync(x => x.Group, x => x.Version, ct);
        return TypedResults.Ok<IReadOnlyList<GroupResource>>(groups
            .Select(g => new GroupResource(g.Name, g.Revision, versions.GetValueOrDefault(g.Name), g.CreatedAt)).ToList());
    }

    private static async Task<Results<Created<GroupResource>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        CreateGroupRequest request, ConfigWriter writer, AdminDbContext db, CancellationToken ct)
    {
        var name = request.Name ?? "";
        var result = await writer.CreateGroupAsync(name, ct);
        if (result.Problem is not null)
        {
            return result.Problem;
        }

        if (result.Invalid is not null)
        {
            return result.Invalid;
        }

        var group = await db.Groups.AsNoTracking().FirstAsync(g => g.Name == name, ct);
        return TypedResults.Created($"/api/v1/groups/{name}", new GroupResource(name, group.Revision, result.Version, group.CreatedAt));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string group, ConfigWriter writer, CancellationToken ct) =>
        await writer.DeleteGroupAsync(group, ct) ? TypedResults.NoContent() : Problems.NotFound($"group '{group}' does not exist");

    private static Task<Results<Ok<Page<VersionSummary>>, ProblemHttpResult, ValidationProblem>> ListVersionsAsync(
        string group, int? offset, int? limit, AdminDbContext db, CancellationToken ct) =>
        GroupEntries.ListAsync(db, group, offset, limit, db.ConfigVersions.AsNoTracking().Where(v => v.Group == group),
            q => q.OrderByDescending(v => v.Version)
                .Select(v => new VersionSummary(v.Version, v.Checksum, v.Actor, v.CreatedAt, v.Summary, v.Gray)),
            v => v, ct);

    private static async Task<Results<Ok<SnapshotDocument>, ProblemHttpResult>> GetVersionAsync(
        string group, long version, AdminDbContext db, CancellationToken ct)
    {
        var entity = await db.ConfigVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Group == group && v.Version == version, ct);
        return entity is null
            ? Problems.NotFound($"version {version} of group '{group}' does not exist")
            : TypedResults.Ok(ToDocument(entity));
    }

    private static async Task<Results<Ok<IReadOnlyList<GatewayNodeResource>>, ProblemHttpResult>> ListGatewaysAsync(
        string group, AdminDbContext db, GatewayNotifier notifier, TimeProvider time, IOptions<AdminOptions> options,
        Monitoring.PluginProblemStore plugins, CancellationToken ct)
    {
        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        // A node is current when it runs the version it would be served: the gray one for a listed node, else the latest normal.
        var current = await db.ConfigVersions.Where(v => v.Group == group && !v.Gray).MaxAsync(v => (long?)v.Version, ct) ?? 0;
        var gray = await GrayWriter.FindAsync(db, group, ct);
        var nodes = await db.GatewayNodes.AsNoTracking().Where(n => n.Group == group).OrderBy(n => n.Id).ToListAsync(ct);
        var liveSince = time.GetUtcNow() - options.Value.GatewayLiveWindow;
        return TypedResults.Ok<IReadOnlyList<GatewayNodeResource>>(nodes
            .Select(n =>
            {
                var expected = gray is not null && gray.Nodes.Contains(n.Id) ? gray.Version : current;
                return new GatewayNodeResource(n.Id, n.Loc, n.ControlAddress, n.Version, n.Checksum, n.LastSeen, n.Version == expected,
                    n.LastSeen >= liveSince, expected, notifier.LastPush(group, n.Id), plugins.Get(group, n.Id));
            })
            .ToList());
    }

    /// <summary>
    /// Re-push: notifies one gateway of the version it should run now, rather than waiting for its next pull. 200 when the
    /// node accepted the notice (it then pulls), 502 naming why not, 404/409 for an unknown node or one with no address.
    /// </summary>
    private static async Task<Results<Ok<PushResult>, ProblemHttpResult>> PushAsync(string group, string nodeId, AdminDbContext db,
        GatewayNotifier notifier, CancellationToken ct)
    {
        var node = await db.GatewayNodes.AsNoTracking().FirstOrDefaultAsync(n => n.Group == group && n.Id == nodeId, ct);
        if (node is null)
        {
            return Problems.NotFound($"gateway '{nodeId}' has never reported to group '{group}'");
        }

        if (string.IsNullOrEmpty(node.ControlAddress))
        {
            return Problems.Conflict($"gateway '{nodeId}' reported no control address, so it cannot be pushed to; it pulls on its timer");
        }

        var gray = await GrayWriter.FindAsync(db, group, ct);
        var version = gray is not null && gray.Nodes.Contains(nodeId)
            ? gray.Version
            : await db.ConfigVersions.Where(v => v.Group == group && !v.Gray).MaxAsync(v => (long?)v.Version, ct) ?? 0;
        var failure = await notifier.PushOneAsync(group, version, nodeId, node.ControlAddress, ct);
        return failure is null
            ? TypedResults.Ok(new PushResult(nodeId, version))
            : TypedResults.Problem(detail: $"push of version {version} to gateway '{nodeId}' at {node.ControlAddress} failed: {failure}",
                statusCode: StatusCodes.Status502BadGateway, title: "Push failed");
    }

    /// <summary>
    /// The group's current config as indented <see cref="ConfigSerializer"/> JSON, or as YAML when the caller's
    /// <c>Accept</c> prefers it (<see cref="ExportFormats"/>), ready to be imported again. It is the published snapshot, so
    /// app secrets appear only sealed for transport (<c>enc:v1:</c>), never in plaintext, in either form.
    /// </summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(string group, HttpContext context, AdminDbContext db,
        CancellationToken ct)
    {
        var latest = await LatestAsync(db, group, ct);
        if (latest is null)
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        // The answer depends on Accept, so a cache must not hand the YAML form to a JSON client.
        context.Response.Headers.Vary = "Accept";
        var config = ConfigSerializer.Deserialize(latest.Snapshot, "store");
        var yaml = ExportFormats.PreferredYaml(context.Request);
        return yaml is null
            ? TypedResults.Text(ConfigSerializer.Serialize(config, indented: true), "application/json")
            : TypedResults.Text(ConfigYamlWriter.Write(config, $"Gatehouse config of group '{group}', version {latest.Version}, checksum {latest.Checksum}"),
                $"{yaml}; charset=utf-8");
    }

    /// <summary>
    /// Replaces the group's whole config with a declarative JSON or YAML document, as one validated version; with
    /// <c>dryRun=true</c>, runs every check of the import and answers what it would change instead (<see cref="ImportPreview"/>).
    /// </summary>
    private static async Task<Results<Ok<VersionSummary>, Ok<ImportPreview>, ProblemHttpResult, ValidationProblem>> ImportAsync(
        string group, bool? dryRun, HttpRequest request, ConfigWriter writer, AdminDbContext db, Security.AppSecretVault vault, CancellationToken ct)
    {
        var text = await RequestBodies.ReadTextAsync(request, ct);
        if (text is null)
        {
            return Problems.InvalidField("body", "the body is too large");
        }

        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "";
        var format = mediaType.Contains("yaml", StringComparison.Ordinal) ? ConfigFormat.Yaml : ConfigFormat.Json;
        GatewayConfig config;
        try
        {
            config = ConfigLoader.Parse(text, "import", format);
        }
        catch (ConfigException ex)
        {
            return Problems.Invalid(ex.Errors);
        }

        // A document for another group would be published under this group's name without the author noticing.
        var mismatches = new List<ConfigError>();
        if (config.Group is not null && config.Group != group)
        {
            mismatches.Add(new ConfigError("import", "group", $"the document is for group '{config.Group}', not '{group}'"));
        }

        mismatches.AddRange(config.Services.Where(s => s.Group is not null && s.Group != group)
            .Select(s => new ConfigError("import", $"services[{s.Name}].group", $"the service is for group '{s.Group}', not '{group}'")));
        // Secrets may come in plaintext or sealed (an export); either way they are stored under the admin's own key.
        config = vault.OpenForImport(config, "import", out var secretErrors);
        mismatches.AddRange(secretErrors);
        if (mismatches.Count > 0)
        {
            return Problems.Invalid(mismatches);
        }

        var preview = dryRun == true;
        var result = await writer.WriteAsync(group, new AuditTarget("import", AuditKinds.Group, group), "import", draft =>
        {
            draft.ReplaceAll(config);
            return null;
        }, ct, dryRun: preview);

        if (result.Problem is not null)
        {
            return result.Problem;
        }

        if (result.Invalid is not null)
        {
            return result.Invalid;
        }

        if (result.Preview is not null)
        {
            // Against the latest normal version: the one a real import replaces (a gray version is never "current").
            var latest = (await LatestAsync(db, group, ct))!;
            var changes = ConfigDiff.Compare(ConfigSerializer.Deserialize(latest.Snapshot, "store"), result.Preview);
            return TypedResults.Ok(ImportPreviewBuilder.Build(group, latest.Version, latest.Checksum, changes));
        }

        var entity = await db.ConfigVersions.AsNoTracking().FirstAsync(v => v.Group == group && v.Version == result.Version, ct);
        return TypedResults.Ok(new VersionSummary(entity.Version, entity.Checksum, entity.Actor, entity.CreatedAt, entity.Summary));
    }

    /// <summary>The newest normal (not gray) version row of <paramref name="group"/>; null when the group does not exist.</summary>
    internal static Task<ConfigVersionEntity?> LatestAsync(AdminDbContext db, string group, CancellationToken ct) =>
        db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && !v.Gray).OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);

    internal static SnapshotDocument ToDocument(ConfigVersionEntity entity) =>
        new(entity.Group, entity.Version, entity.Checksum, JsonNode.Parse(entity.Snapshot)!);
}
