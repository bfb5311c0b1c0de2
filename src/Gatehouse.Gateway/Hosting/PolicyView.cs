using Gatehouse.Core.Config;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// <c>GET /control/policy?service=S&amp;api=A</c>: what policy applies to one API in the snapshot this gateway serves
/// now, member by member with the level it comes from (<see cref="EffectivePolicyView"/>).
/// </summary>
internal static class PolicyView
{
    public static Task WriteAsync(HttpContext context, ConfigSnapshot? snapshot)
    {
        var serviceName = context.Request.Query["service"].ToString();
        var apiId = context.Request.Query["api"].ToString();
        if (serviceName.Length == 0 || apiId.Length == 0)
        {
            return ControlEndpoints.WriteProblemAsync(context, 400, "bad_request", "Bad request",
                "Give the service and the API id: /control/policy?service=NAME&api=ID.");
        }

        if (snapshot is null)
        {
            return ControlEndpoints.WriteProblemAsync(context, 503, "no_config", "No configuration",
                "No configuration has been loaded; see the gateway log.");
        }

        // The compiled snapshot holds only this gateway's group; its config entry is found by the exact name.
        ServiceConfig? service = null;
        if (snapshot.Services.TryGetValue(serviceName, out var model))
        {
            foreach (var candidate in snapshot.Config.Services)
            {
                if (string.Equals(candidate.Name, model.Name, StringComparison.Ordinal))
                {
                    service = candidate;
                    break;
                }
            }
        }

        if (service is null)
        {
            return ControlEndpoints.WriteProblemAsync(context, 404, "service_not_found", "Service not found",
                $"Service '{serviceName}' is not in the config this gateway serves (version {snapshot.Version}).");
        }

        var api = service.Apis.FirstOrDefault(a => string.Equals(a.Id, apiId, StringComparison.OrdinalIgnoreCase));
        if (api is null)
        {
            return ControlEndpoints.WriteProblemAsync(context, 404, "api_not_found", "API not found",
                $"Service '{service.Name}' has no API '{apiId}' in the config this gateway serves (version {snapshot.Version}).");
        }

        return ControlEndpoints.WriteJsonAsync(context, 200, new
        {
            version = snapshot.Version,
            service = service.Name,
            api = api.Id,
            activeVersion = service.ActiveVersion,
            members = EffectivePolicyView.Build(snapshot.Config.Global, service.Policy, api.Policy),
        }, ControlJson.OmitNulls);
    }
}
