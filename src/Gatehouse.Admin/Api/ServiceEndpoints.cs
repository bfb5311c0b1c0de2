using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>Services of a group, and traffic switches of their nodes.</summary>
internal static class ServiceEndpoints
{
    /// <summary>Maps the service endpoints under <c>/groups/{group}/services</c>.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var services = api.MapGroup("/groups/{group}/services").WithTags("Services");
        services.MapGet("", ListAsync);
        services.MapGet("/{name}", GetAsync);
        services.MapPost("", CreateAsync).Accepts<ServiceConfig>("application/json");
        services.MapPut("/{name}", ReplaceAsync).Accepts<ServiceConfig>("application/json");
        services.MapDelete("/{name}", DeleteAsync);
        services.MapPost("/{name}/nodes/{nodeId}/offline", (string group, string name, string nodeId, HttpRequest request,
            ConfigWriter writer, CancellationToken ct) => SetOnlineAsync(group, name, nodeId, false, request, writer, ct));
        services.MapPost("/{name}/nodes/{nodeId}/online", (string group, string name, string nodeId, HttpRequest request,
            ConfigWriter writer, CancellationToken ct) => SetOnlineAsync(group, name, nodeId, true, request, writer, ct));
    }

    private static async Task<Results<Ok<Page<ServiceResource>>, ProblemHttpResult, ValidationProblem>> ListAsync(
        string group, int? offset, int? limit, AdminDbContext db, CancellationToken ct)
    {
        if (RequestBodies.CheckPaging(offset, limit, out var skip, out var take) is { } invalid)
        {
            return invalid;
        }

        if (!await db.Groups.AnyAsync(g => g.Name == group, ct))
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var query = db.Services.AsNoTracking().Where(s => s.Group == group);
        var total = await query.CountAsync(ct);
        var page = await query.OrderBy(s => s.Position).Skip(skip).Take(take).ToListAsync(ct);
        return TypedResults.Ok(new Page<ServiceResource>(page.Select(ToResource).ToList(), total));
    }

    private static async Task<Results<Ok<ServiceResource>, ProblemHttpResult>> GetAsync(
        string group, string name, HttpResponse response, AdminDbContext db, CancellationToken ct)
    {
        var entity = await db.Services.AsNoTracking().FirstOrDefaultAsync(s => s.Group == group && s.Name == name, ct);
        if (entity is null)
        {
            return Problems.NotFound($"service '{name}' does not exist in group '{group}'");
        }

        response.Headers.ETag = $"\"{entity.Revision}\"";
        return TypedResults.Ok(ToResource(entity));
    }

    private static async Task<Results<Created<ServiceResource>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        string group, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = await RequestBodies.ReadEntryAsync(request, "services", list: true, c => c.Services[0], ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        var service = body.Value!;
        ServiceEntity? created = null;
        var result = await writer.WriteAsync(group, new AuditTarget("service.create", AuditKinds.Service, service.Name),
            $"create service {service.Name}", draft =>
        {
            if (draft.Services.Any(s => string.Equals(s.Name, service.Name, StringComparison.OrdinalIgnoreCase)))
            {
                return Problems.Conflict($"service '{service.Name}' already exists in group '{group}'");
            }

            draft.AddService(service);
            created = draft.Services[^1];
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Created($"/api/v1/groups/{group}/services/{service.Name}", ToResource(created!)),
        };
    }

    private static async Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> ReplaceAsync(
        string group, string name, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = await RequestBodies.ReadEntryAsync(request, "services", list: true, c => c.Services[0], ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        if (!RequestBodies.TryGetRevision(request, body.Revision, out var revision, out var badRevision))
        {
            return badRevision!;
        }

        // The URL names the service; a body may leave the name out but must not rename (delete and create instead).
        var service = body.Value!.Name.Length == 0 ? body.Value with { Name = name } : body.Value;
        if (service.Name != name)
        {
            return Problems.InvalidField("name", $"the body names '{service.Name}' but the URL names '{name}'; renaming is not supported");
        }

        ServiceEntity? updated = null;
        var result = await writer.WriteAsync(group, new AuditTarget("service.replace", AuditKinds.Service, name),
            $"update service {name}", draft =>
        {
            updated = draft.FindService(name);
            if (updated is null)
            {
                return Problems.NotFound($"service '{name}' does not exist in group '{group}'");
            }

            if (RequestBodies.CheckRevision(revision, updated.Revision, $"service '{name}'") is { } problem)
            {
                return problem;
            }

            GroupDraft.ReplaceService(updated, service);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Ok(ToResource(updated!)),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync(
        string group, string name, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        if (!RequestBodies.TryGetRevision(request, null, out var revision, out var badRevision))
        {
            return badRevision!;
        }

        var result = await writer.WriteAsync(group, new AuditTarget("service.delete", AuditKinds.Service, name),
            $"delete service {name}", draft =>
        {
            var entity = draft.FindService(name);
            if (entity is null)
            {
                return Problems.NotFound($"service '{name}' does not exist in group '{group}'");
            }

            if (RequestBodies.CheckRevision(revision, entity.Revision, $"service '{name}'") is { } problem)
            {
                return problem;
            }

            draft.RemoveService(entity);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.NoContent(),
        };
    }

    /// <summary>Takes a node out of traffic or restores it, leaving the rest of the service as it is.</summary>
    private static async Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> SetOnlineAsync(
        string group, string name, string nodeId, bool online, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var bodyRevision = await RequestBodies.ReadRevisionOnlyAsync(request, ct);
        if (bodyRevision.Invalid is not null)
        {
            return bodyRevision.Invalid;
        }

        return await ServicePartEndpoints.ChangeAsync(request, writer, group, name, bodyRevision.Revision,
            online ? "node.online" : "node.offline", $"{(online ? "restore" : "take offline")} node {nodeId} of service {name}", ct,
            service =>
            {
                var index = service.Nodes.ToList().FindIndex(n => NodeIdentity.EffectiveId(n) == nodeId);
                if (index < 0)
                {
                    return (null, Problems.NotFound($"node '{nodeId}' does not exist in service '{name}'"));
                }

                var nodes = service.Nodes.ToList();
                nodes[index] = nodes[index] with { Online = online };
                return (service with { Nodes = nodes }, null);
            });
    }

    private static ServiceResource ToResource(ServiceEntity entity) =>
        new(entity.Name, entity.Revision, GroupDraft.ReadService(entity.Json));
}
