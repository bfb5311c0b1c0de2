using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Admin.Api;

/// <summary>
/// Nodes and APIs of a service as their own resources, so an operator (or a script) can add, edit or remove one
/// without re-sending the whole service. Each change is a write of the whole service: validated, revision-checked
/// against the service's revision, published as a new version and audited like <c>PUT .../services/{name}</c>.
/// </summary>
internal static class ServicePartEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var service = api.MapGroup("/groups/{group}/services/{name}").WithTags("Services");
        service.MapPut("/nodes/{nodeId}", PutNodeAsync).Accepts<NodeConfig>("application/json");
        service.MapDelete("/nodes/{nodeId}", DeleteNodeAsync);
        service.MapPut("/apis/{apiId}", PutApiAsync).Accepts<ApiConfig>("application/json");
        service.MapDelete("/apis/{apiId}", DeleteApiAsync);
    }

    /// <summary>Adds the node, or replaces the node with that effective id (<c>id</c>, else <c>host:port</c>).</summary>
    private static async Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> PutNodeAsync(
        string group, string name, string nodeId, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = await RequestBodies.ReadEntryAsync(request, "services", list: true, c => c.Services[0].Nodes[0], ct, innerList: "nodes");
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        var node = body.Value!.Id is null && NodeIdentity.EffectiveId(body.Value) != nodeId ? body.Value with { Id = nodeId } : body.Value;
        if (NodeIdentity.EffectiveId(node) != nodeId)
        {
            return Problems.InvalidField("id", $"the body names node '{NodeIdentity.EffectiveId(node)}' but the URL names '{nodeId}'");
        }

        return await ChangeAsync(request, writer, group, name, body.Revision, "node.put", $"put node {nodeId} of service {name}", ct,
            service => (service with { Nodes = Upsert(service.Nodes, node, n => NodeIdentity.EffectiveId(n) == nodeId) }, null));
    }

    private static Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> DeleteNodeAsync(
        string group, string name, string nodeId, HttpRequest request, ConfigWriter writer, CancellationToken ct) =>
        ChangeAsync(request, writer, group, name, null, "node.delete", $"delete node {nodeId} of service {name}", ct, service =>
            service.Nodes.Any(n => NodeIdentity.EffectiveId(n) == nodeId)
                ? (service with { Nodes = service.Nodes.Where(n => NodeIdentity.EffectiveId(n) != nodeId).ToArray() }, null)
                : (null, Problems.NotFound($"node '{nodeId}' does not exist in service '{name}'")));

    /// <summary>Adds the API, or replaces the API with that id.</summary>
    private static async Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> PutApiAsync(
        string group, string name, string apiId, HttpRequest request, ConfigWriter writer, CancellationToken ct)
    {
        var body = await RequestBodies.ReadEntryAsync(request, "services", list: true, c => c.Services[0].Apis[0], ct, innerList: "apis");
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        var apiConfig = body.Value!.Id.Length == 0 ? body.Value with { Id = apiId } : body.Value;
        if (apiConfig.Id != apiId)
        {
            return Problems.InvalidField("id", $"the body names API '{apiConfig.Id}' but the URL names '{apiId}'");
        }

        return await ChangeAsync(request, writer, group, name, body.Revision, "api.put", $"put API {apiId} of service {name}", ct,
            service => (service with { Apis = Upsert(service.Apis, apiConfig, a => a.Id == apiId) }, null));
    }

    private static Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> DeleteApiAsync(
        string group, string name, string apiId, HttpRequest request, ConfigWriter writer, CancellationToken ct) =>
        ChangeAsync(request, writer, group, name, null, "api.delete", $"delete API {apiId} of service {name}", ct, service =>
            service.Apis.Any(a => a.Id == apiId)
                ? (service with { Apis = service.Apis.Where(a => a.Id != apiId).ToArray() }, null)
                : (null, Problems.NotFound($"API '{apiId}' does not exist in service '{name}'")));

    /// <summary>
    /// One revision-checked change to one service: finds it, checks the revision the caller quoted (If-Match or
    /// body), applies <paramref name="change"/> and writes the whole group through the validated path. A change that
    /// returns the service it was given changes nothing: no version is published and the service is answered as it is.
    /// </summary>
    /// <param name="revisionOptional">
    /// True for changes that set one field to a given value (a node's traffic switch): repeating them is harmless and
    /// they cannot overwrite someone else's edit, so no revision is required; one that is quoted must still be current.
    /// </param>
    internal static async Task<Results<Ok<ServiceResource>, ProblemHttpResult, ValidationProblem>> ChangeAsync(
        HttpRequest request, ConfigWriter writer, string group, string name, long? bodyRevision, string action, string summary,
        CancellationToken ct, Func<ServiceConfig, (ServiceConfig? Changed, ProblemHttpResult? Problem)> change,
        bool revisionOptional = false)
    {
        if (!RequestBodies.TryGetRevision(request, bodyRevision, out var revision, out var badRevision))
        {
            return badRevision!;
        }

        ServiceEntity? updated = null;
        var result = await writer.WriteAsync(group, new AuditTarget(action, AuditKinds.Service, name), summary, draft =>
        {
            updated = draft.FindService(name);
            if (updated is null)
            {
                return Problems.NotFound($"service '{name}' does not exist in group '{group}'");
            }

            var current = GroupDraft.ReadService(updated.Json);
            var (changed, problem) = change(current);
            if (problem is not null)
            {
                return problem;
            }

            if ((revision is not null || !revisionOptional)
                && RequestBodies.CheckRevision(revision, updated.Revision, $"service '{name}'") is { } stale)
            {
                return stale;
            }

            if (ReferenceEquals(changed, current))
            {
                draft.Unchanged = true;
                return null;
            }

            GroupDraft.ReplaceService(updated, changed!);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ => TypedResults.Ok(new ServiceResource(updated!.Name, updated.Revision, GroupDraft.ReadService(updated.Json))),
        };
    }

    private static T[] Upsert<T>(IReadOnlyList<T> items, T item, Func<T, bool> isSame)
    {
        var list = items.ToList();
        var index = list.FindIndex(i => isSame(i));
        if (index < 0)
        {
            list.Add(item);
        }
        else
        {
            list[index] = item;
        }

        return list.ToArray();
    }
}
