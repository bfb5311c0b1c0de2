using System.Text.Json;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>Group-level config: origin mappings, service sets and the global policy.</summary>
internal static class GroupDocumentEndpoints
{
    /// <summary>Maps the origin mapping, service set and global policy endpoints of a group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/groups/{group}");
        group.MapGet("/origin-mappings", ListMappingsAsync).WithTags("Origin mappings");
        group.MapPost("/origin-mappings", CreateMappingAsync).Accepts<OriginMappingConfig>("application/json").WithTags("Origin mappings");
        group.MapDelete("/origin-mappings/{id}", DeleteMappingAsync).WithTags("Origin mappings");
        group.MapGet("/service-sets", ListSetsAsync).WithTags("Service sets");
        group.MapPost("/service-sets", CreateSetAsync).Accepts<ServiceSetConfig>("application/json").WithTags("Service sets");
        group.MapDelete("/service-sets/{tag}", DeleteSetAsync).WithTags("Service sets");
        group.MapGet("/global-policy", GetPolicyAsync).WithTags("Global policy");
        group.MapPut("/global-policy", PutPolicyAsync).Accepts<PolicyConfig>("application/json", "application/yaml", "text/yaml")
            .WithTags("Global policy");
    }

    private static async Task<Results<Ok<IReadOnlyList<OriginMappingResource>>, ProblemHttpResult>> ListMappingsAsync(
        string group, AdminDbContext db, CancellationToken ct)
    {
        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var items = await db.OriginMappings.AsNoTracking().Where(m => m.Group == group).OrderBy(m => m.Position).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<OriginMappingResource>>(items.Select(ToResource).ToList());
    }

    private static async Task<Results<Created<OriginMappingResource>, ProblemHttpResult, ValidationProblem>> CreateMappingAsync(
        string group, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = await RequestBodies.ReadEntryAsync(request, "originMappings", list: true, c => c.OriginMappings[0], ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        // Chosen before the write so the audit row can name the mapping it creates.
        var id = GroupDraft.NewMappingId();
        var result = await writer.WriteAsync(group, new AuditTarget("originMapping.create", AuditKinds.OriginMapping, id),
            "create origin mapping", draft =>
        {
            draft.AddMapping(body.Value!, id);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Created($"/api/v1/groups/{group}/origin-mappings/{id}", new OriginMappingResource(id, body.Value!)),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteMappingAsync(
        string group, string id, ConfigWriter writer, CancellationToken ct)
    {
        var result = await writer.WriteAsync(group, new AuditTarget("originMapping.delete", AuditKinds.OriginMapping, id),
            $"delete origin mapping {id}", draft =>
        {
            var entity = draft.Mappings.FirstOrDefault(m => m.Id == id);
            if (entity is null)
            {
                return Problems.NotFound($"origin mapping '{id}' does not exist in group '{group}'");
            }

            draft.RemoveMapping(entity);
            return null;
        }, ct);

        return ToNoContent(result);
    }

    private static async Task<Results<Ok<IReadOnlyList<ServiceSetResource>>, ProblemHttpResult>> ListSetsAsync(
        string group, AdminDbContext db, CancellationToken ct)
    {
        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var items = await db.ServiceSets.AsNoTracking().Where(s => s.Group == group).OrderBy(s => s.Position).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<ServiceSetResource>>(items
            .Select(s => new ServiceSetResource(s.Tag, JsonSerializer.Deserialize<ServiceSetConfig>(s.Json, ConfigSerializer.Options)!)).ToList());
    }

    private static async Task<Results<Created<ServiceSetResource>, ProblemHttpResult, ValidationProblem>> CreateSetAsync(
        string group, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = await RequestBodies.ReadEntryAsync(request, "serviceSets", list: true, c => c.ServiceSets[0], ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        var set = body.Value!;
        var result = await writer.WriteAsync(group, new AuditTarget("serviceSet.create", AuditKinds.ServiceSet, set.Tag),
            $"create service set {set.Tag}", draft =>
        {
            if (draft.Sets.Any(s => string.Equals(s.Tag, set.Tag, StringComparison.OrdinalIgnoreCase)))
            {
                return Problems.Conflict($"service set '{set.Tag}' already exists in group '{group}'");
            }

            draft.AddSet(set);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Created($"/api/v1/groups/{group}/service-sets/{set.Tag}", new ServiceSetResource(set.Tag, set)),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteSetAsync(
        string group, string tag, ConfigWriter writer, CancellationToken ct)
    {
        var result = await writer.WriteAsync(group, new AuditTarget("serviceSet.delete", AuditKinds.ServiceSet, tag),
            $"delete service set {tag}", draft =>
        {
            var entity = draft.Sets.FirstOrDefault(s => s.Tag == tag);
            if (entity is null)
            {
                return Problems.NotFound($"service set '{tag}' does not exist in group '{group}'");
            }

            draft.RemoveSet(entity);
            return null;
        }, ct);

        return ToNoContent(result);
    }

    private static async Task<Results<Ok<GlobalPolicyResource>, ProblemHttpResult>> GetPolicyAsync(
        string group, HttpResponse response, AdminDbContext db, CancellationToken ct)
    {
        var entity = await db.Groups.AsNoTracking().FirstOrDefaultAsync(g => g.Name == group, ct);
        return entity is null
            ? Problems.NotFound($"group '{group}' does not exist")
            : GroupEntries.WithRevision(response, entity.Revision, ToPolicy(entity));
    }

    private static async Task<Results<Ok<GlobalPolicyResource>, ProblemHttpResult, ValidationProblem>> PutPolicyAsync(
        string group, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = IsYaml(request)
            ? await ReadYamlPolicyAsync(request, ct)
            : await RequestBodies.ReadEntryAsync(request, "global", list: false, c => c.Global, ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        if (!RequestBodies.TryGetRevision(request, body.Revision, out var revision, out var badRevision))
        {
            return badRevision!;
        }

        GroupEntity? updated = null;
        var result = await writer.WriteAsync(group, new AuditTarget("globalPolicy.replace", AuditKinds.GlobalPolicy, group),
            "update global policy", draft =>
        {
            updated = draft.Group;
            if (RequestBodies.CheckRevision(revision, draft.Group.Revision, $"the settings of group '{group}'") is { } problem)
            {
                return problem;
            }

            draft.SetGlobalPolicy(body.Value);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Ok(ToPolicy(updated!)),
        };
    }

    private static bool IsYaml(HttpRequest request) =>
        request.ContentType?.Split(';')[0].Trim().Contains("yaml", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// A policy written as YAML (the console's editor, or a file kept in a repository): read and validated on its own
    /// first, so each error names the line and column of the text sent; the revision comes from <c>If-Match</c> only.
    /// </summary>
    private static async Task<ParsedBody<PolicyConfig>> ReadYamlPolicyAsync(HttpRequest request, CancellationToken ct)
    {
        var text = await RequestBodies.ReadTextAsync(request, ct);
        if (text is null)
        {
            return new ParsedBody<PolicyConfig>(null, null, Problems.InvalidField("body", "the body is too large"));
        }

        try
        {
            return new ParsedBody<PolicyConfig>(ConfigLoader.ParsePolicy(text, "policy", ConfigFormat.Yaml), null, null);
        }
        catch (ConfigException ex)
        {
            return new ParsedBody<PolicyConfig>(null, null, Problems.Invalid(ex.Errors));
        }
    }

    private static Results<NoContent, ProblemHttpResult, ValidationProblem> ToNoContent(WriteResult result) => result switch
    {
        { Problem: { } problem } => problem,
        { Invalid: { } invalid } => invalid,
        _ => TypedResults.NoContent(),
    };

    private static OriginMappingResource ToResource(OriginMappingEntity entity) =>
        new(entity.Id, JsonSerializer.Deserialize<OriginMappingConfig>(entity.Json, ConfigSerializer.Options)!);

    private static GlobalPolicyResource ToPolicy(GroupEntity entity) => new(entity.Revision,
        entity.GlobalPolicyJson is null ? null : JsonSerializer.Deserialize<PolicyConfig>(entity.GlobalPolicyJson, ConfigSerializer.Options));
}
