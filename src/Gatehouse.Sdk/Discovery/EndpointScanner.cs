using Gatehouse.Core.Config;
using Gatehouse.Sdk.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Gatehouse.Sdk.Discovery;

/// <summary>
/// Turns the app's routed endpoints into the service's APIs in the gateway's path syntax (<see cref="ApiPathSyntax"/>):
/// <c>{id:int}</c> → <c>{id}</c>, a catch-all <c>{**rest}</c> → <c>**</c>, an optional last parameter → the path with
/// and without it, a segment mixing literals and parameters (<c>{name}.{ext}</c>) → <c>*</c>.
/// </summary>
internal static class EndpointScanner
{
    /// <summary>
    /// The APIs of every <see cref="RouteEndpoint"/>, one per distinct path, methods merged, in a stable order; endpoints
    /// marked <see cref="GatehouseInternalAttribute"/> and the node's <paramref name="healthPath"/> are left out, so the
    /// gateway never exposes them.
    /// </summary>
    public static IReadOnlyList<ServiceApi> Scan(EndpointDataSource source, string? healthPath = null)
    {
        var byPath = new SortedDictionary<string, SortedSet<string>?>(StringComparer.Ordinal);
        var health = healthPath is { Length: > 0 } ? "/" + healthPath.Trim('/') : null;
        foreach (var endpoint in source.Endpoints)
        {
            if (endpoint is not RouteEndpoint route || endpoint.Metadata.GetMetadata<GatehouseInternalAttribute>() is not null)
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            foreach (var path in Paths(route.RoutePattern))
            {
                if (health is not null && string.Equals(path, health, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var anyMethod = methods is null || methods.Count == 0;
                if (!byPath.TryGetValue(path, out var known))
                {
                    byPath[path] = anyMethod ? null : new SortedSet<string>(methods!.Select(m => m.ToUpperInvariant()), StringComparer.Ordinal);
                }
                else if (known is not null)
                {
                    if (anyMethod)
                    {
                        byPath[path] = null;
                    }
                    else
                    {
                        known.UnionWith(methods!.Select(m => m.ToUpperInvariant()));
                    }
                }
            }
        }

        return byPath.Select(p => new ServiceApi(p.Value?.ToArray() ?? [], p.Key, KindText(ApiPathSyntax.Resolve(MatchKind.Auto, p.Key)))).ToList();
    }

    /// <summary>The gateway path(s) of one route pattern (two when its last parameter is optional).</summary>
    public static IEnumerable<string> Paths(RoutePattern pattern)
    {
        var segments = new List<string>();
        for (var i = 0; i < pattern.PathSegments.Count; i++)
        {
            var parts = pattern.PathSegments[i].Parts;
            var last = i == pattern.PathSegments.Count - 1;
            if (parts is [RoutePatternLiteralPart literal])
            {
                segments.Add(literal.Content);
            }
            else if (parts is [RoutePatternParameterPart parameter])
            {
                if (parameter.IsCatchAll)
                {
                    // '**' may only close a pattern; a catch-all is always last in ASP.NET Core routes too.
                    segments.Add("**");
                }
                else if (parameter.IsOptional && last)
                {
                    yield return Join(segments);
                    segments.Add($"{{{SafeName(parameter.Name)}}}");
                }
                else
                {
                    segments.Add($"{{{SafeName(parameter.Name)}}}");
                }
            }
            else
            {
                segments.Add("*");
            }
        }

        yield return Join(segments);
    }

    private static string Join(List<string> segments) => "/" + string.Join('/', segments);

    private static string SafeName(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray());

    private static string KindText(MatchKind kind) => kind switch
    {
        MatchKind.Wildcard => "wildcard",
        MatchKind.Template => "template",
        _ => "exact",
    };
}
