using System.Text.Json;
using Gatehouse.Admin.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// The embedded registry's HTTP API under <c>/api/v1/registry</c> (see <c>docs/admin-api.md</c>, "Registry"):
/// register, heartbeat and deregister service nodes. Callers: the registry token, or an operator's credentials
/// (<see cref="Security.AdminAuthentication"/>).
/// </summary>
internal static class RegistryEndpoints
{
    /// <summary>Path prefix of the registry endpoints (authenticated separately from the rest of the API).</summary>
    public const string Prefix = "/api/v1/registry";

    public static void Map(RouteGroupBuilder registry)
    {
        registry.MapPost("/instances", RegisterAsync).Accepts<RegistrationRequest>("application/json");
        registry.MapPut("/instances/{group}/{service}/{nodeId}/heartbeat", HeartbeatAsync);
        registry.MapDelete("/instances/{group}/{service}/{nodeId}", DeregisterAsync);
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, RegistryService registry, IOptions<AdminOptions> options,
        CancellationToken ct)
    {
        RegistrationRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<RegistrationRequest>(request.Body, RegistrationRules.Json, ct);
        }
        catch (JsonException ex)
        {
            return Problems.InvalidField(string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.'),
                $"not a valid registration: {ex.Message}");
        }

        if (body is null)
        {
            return Problems.InvalidField("body", "expected a JSON object");
        }

        var result = await registry.RegisterAsync(body, ct);
        return result.Problem ?? TypedResults.Ok(new
        {
            group = body.Group,
            service = body.Service,
            nodeId = RegistrationRules.NodeId(body),
            version = result.Version,
            changed = result.Changed,
            leaseTtlSeconds = options.Value.RegistryLeaseTtl.TotalSeconds,
        });
    }

    private static async Task<IResult> HeartbeatAsync(string group, string service, string nodeId, RegistryService registry,
        IOptions<AdminOptions> options, CancellationToken ct) =>
        await registry.HeartbeatAsync(group, service, nodeId, ct)
            ? TypedResults.Ok(new { leaseTtlSeconds = options.Value.RegistryLeaseTtl.TotalSeconds })
            : Problems.NotFound($"node '{nodeId}' of {group}/{service} has no live lease (never registered, deregistered or expired); register again");

    private static async Task<IResult> DeregisterAsync(string group, string service, string nodeId, RegistryService registry, CancellationToken ct)
    {
        var result = await registry.DeregisterAsync(group, service, nodeId, ct);
        return result.Problem ?? TypedResults.Ok(new { version = result.Version, removed = result.Changed });
    }
}
