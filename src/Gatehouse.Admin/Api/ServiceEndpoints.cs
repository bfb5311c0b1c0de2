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
        services.MapGet("", ListAsync)
            .Produces<Page<ServiceResource>>().Produces<Page<ServiceSummaryResource>>()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem();
        services.MapGet("/{name}", GetAsync);
        services.MapPost("", CreateAsync).Accepts<ServiceConfig>("application/json");
        services.MapPut("/{name}", ReplaceAsync).Accepts<ServiceConfig>("application/json");
        services.MapDelete("/{name}", DeleteAsync);
        services.MapGet("/{name}/health", HealthAsync);
        services.MapPost("/{name}/nodes/{nodeId}/offline", (string group, string name, string nodeId, HttpRequest request,
            ConfigWriter writer, CancellationToken ct) => SetOnlineAsync(group, name, nodeId, false, request, writer, ct));
        services.MapPost("/{name}/nodes/{nodeId}/online", (string group, string name, string nodeId, HttpRequest request,
            ConfigWriter writer, CancellationToken ct) => SetOnlineAsync(group, name, nodeId, true, request, writer, ct));
    }

    /// <summary>
    /// A page of the group's services in their order; <paramref name="q"/> keeps those whose name contains it (any case).
    /// <paramref name="view"/> <c>summary</c> answers counts instead of whole services: what a list shows, a fraction of the bytes.
    /// </summary>
    private static async Task<IResult> ListAsync(string group, int? offset, int? limit, string? q, string? view, AdminDbContext db,
        CancellationToken ct)
    {
        if (view is not (null or "full" or "summary"))
        {
            return Problems.InvalidField("view", "full (the default: whole services) or summary (counts per service)");
        }

        var rows = db.Services.AsNoTracking().Where(s => s.Group == group);
        if (!string.IsNullOrWhiteSpace(q))
        {
            var term = q.Trim().ToLowerInvariant();
            rows = rows.Where(s => s.Name.ToLower().Contains(term));
        }

        return view == "summary"
            ? (await GroupEntries.ListAsync(db, group, offset, limit, rows, r => r.OrderBy(s => s.Position), ToSummary, ct)).Result
            : (await GroupEntries.ListAsync(db, group, offset, limit, rows, r => r.OrderBy(s => s.Position), ToResource, ct)).Result;
    }

    private static async Task<Results<Ok<ServiceResource>, ProblemHttpResult>> GetAsync(
        string group, string name, HttpResponse response, AdminDbContext db, CancellationToken ct)
    {
        var entity = await db.Services.AsNoTracking().FirstOrDefaultAsync(s => s.Group == group && s.Name == name, ct);
        return entity is null
            ? Problems.NotFound($"service '{name}' does not exist in group '{group}'")
            : GroupEntries.WithRevision(response, entity.Revision, ToResource(entity));
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
        // The URL names the service; a body may leave the name out but must not rename (delete and create instead).
        var body = await RequestBodies.ReadReplacementAsync(request, "services", c => c.Services[0], "name", name,
            s => s.Name, (s, n) => s with { Name = n }, ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        var (service, revision) = (body.Value!, body.Revision);

        ServiceEntity? updated = null;
        var result = await writer.WriteAsync(group, new AuditTarget("service.replace", AuditKinds.Service, name),
            $"update service {name}", draft =>
        {
            updated = draft.FindService(name);
            if (GroupEntries.CheckCurrent(updated?.Revision, revision, $"service '{name}'", group) is { } problem)
            {
                return problem;
            }

            GroupDraft.ReplaceService(updated!, service);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Ok(ToResource(updated!)),
        };
    }

    private static Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync(
        string group, string name, HttpRequest request, ConfigWriter writer, CancellationToken ct) =>
        GroupEntries.DeleteAsync(request, writer, group, new AuditTarget("service.delete", AuditKinds.Service, name),
            $"delete service {name}", $"service '{name}'", draft => draft.FindService(name), s => s.Revision,
            (draft, s) => draft.RemoveService(s), ct);

    /// <summary>
    /// The service's nodes' health as each live gateway of the group reported it with its last heartbeat. A node a gateway
    /// does not list as unhealthy is healthy on it; gateways that report no health are left out.
    /// </summary>
    private static async Task<Results<Ok<ServiceHealthResource>, ProblemHttpResult>> HealthAsync(string group, string name, AdminDbContext db,
        Monitoring.NodeHealthStore health, CancellationToken ct)
    {
        var entity = await db.Services.AsNoTracking().FirstOrDefaultAsync(s => s.Group == group && s.Name == name, ct);
        if (entity is null)
        {
            return Problems.NotFound($"service '{name}' does not exist in group '{group}'");
        }

        var reports = health.Reports(group, name);
        var nodes = GroupDraft.ReadService(entity.Json).Nodes.Select(n =>
        {
            var id = NodeIdentity.EffectiveId(n) ?? n.Address;
            var words = reports.Select(r => new GatewayHealthWord(r.Gateway, r.Unhealthy.GetValueOrDefault(id) ?? "healthy")).ToList();
            return new NodeHealthResource(id, words.Count(w => w.State == "healthy"), words);
        }).ToList();
        return TypedResults.Ok(new ServiceHealthResource(name, reports.Select(r => r.Gateway).ToList(), nodes));
    }

    /// <summary>
    /// Takes a node out of traffic or restores it, leaving the rest of the service as it is. Idempotent: no revision is
    /// required (one given must be current), and a node already in the asked state publishes no new version.
    /// </summary>
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

                if (service.Nodes[index].Online == online)
                {
                    return (service, null);
                }

                var nodes = service.Nodes.ToList();
                nodes[index] = nodes[index] with { Online = online };
                return (service with { Nodes = nodes }, null);
            }, revisionOptional: true);
    }

    private static ServiceSummaryResource ToSummary(ServiceEntity entity)
    {
        var service = GroupDraft.ReadService(entity.Json);
        var taking = 0;
        foreach (var node in service.Nodes)
        {
            if (node.Online && !RegistryMetadata.IsExpired(node))
            {
                taking++;
            }
        }

        return new ServiceSummaryResource(entity.Name, entity.Revision, service.Nodes.Count, taking, service.Apis.Count,
            service.Policy?.LoadBalancer?.Kind, service.ActiveVersion, service.Policy?.Canary);
    }

    private static ServiceResource ToResource(ServiceEntity entity) =>
        new(entity.Name, entity.Revision, GroupDraft.ReadService(entity.Json));
}
