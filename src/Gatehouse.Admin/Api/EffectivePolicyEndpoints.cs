using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Admin.Api;

/// <summary>
/// <c>GET /groups/{group}/services/{name}/apis/{apiId}/effective-policy</c>: what policy applies to one API in the
/// group's current published (non-gray) version, member by member with the level it comes from.
/// </summary>
/// <remarks>
/// Computed from the published snapshot, not the editable rows, so it shows what the gateways of the group are
/// being served; the gateway's <c>GET /control/policy</c> shows the same for the snapshot one gateway runs.
/// </remarks>
internal static class EffectivePolicyEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/groups/{group}/services/{name}/apis/{apiId}/effective-policy", GetAsync).WithTags("Services");

    private static async Task<Results<Ok<EffectivePolicyResource>, ProblemHttpResult>> GetAsync(
        string group, string name, string apiId, AdminDbContext db, CancellationToken ct)
    {
        var latest = await GroupEndpoints.LatestAsync(db, group, ct);
        if (latest is null)
        {
            return Problems.NotFound($"group '{group}' does not exist");
        }

        var config = ConfigSerializer.Deserialize(latest.Snapshot, "store");
        var service = config.Services.FirstOrDefault(s => s.Name == name);
        if (service is null)
        {
            return Problems.NotFound($"service '{name}' does not exist in version {latest.Version} of group '{group}'");
        }

        var apiConfig = service.Apis.FirstOrDefault(a => a.Id == apiId);
        if (apiConfig is null)
        {
            return Problems.NotFound($"API '{apiId}' does not exist in service '{name}' (version {latest.Version} of group '{group}')");
        }

        return TypedResults.Ok(new EffectivePolicyResource(group, latest.Version, service.Name, apiConfig.Id, service.ActiveVersion,
            EffectivePolicyView.Build(config.Global, service.Policy, apiConfig.Policy)));
    }
}

/// <summary>The effective policy of one API in a published version; <c>members</c> as <see cref="EffectivePolicyView"/> builds them.</summary>
internal sealed record EffectivePolicyResource(string Group, long Version, string Service, string Api, string? ActiveVersion,
    IReadOnlyList<EffectivePolicyMember> Members);
