using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// How a registration changes a service's config: the node is upserted (keeping what the operator owns), the reported
/// APIs are merged in. Pure functions over config records, so the rules are easy to read and to test.
/// </summary>
internal static class RegistryMerge
{
    /// <summary>True when <paramref name="node"/> is the registry's <paramref name="nodeId"/> (<c>host:port</c>), by id or by address.</summary>
    public static bool IsNode(NodeConfig node, string nodeId) =>
        NodeIdentity.EffectiveId(node) == nodeId || NodeIdentity.EffectiveId(node with { Id = null }) == nodeId;

    /// <summary>The node as registered; <paramref name="existing"/> keeps its id, protocol and the operator's online switch.</summary>
    /// <param name="request">The registration (HTTP body, or a ZooKeeper znode's data).</param>
    /// <param name="existing">The node of the same id already in the service, if any.</param>
    /// <param name="heldOffline">An operator took the node offline before it left; it comes back offline.</param>
    /// <param name="source">Which registry the node came from: <c>sdk</c> (HTTP) or <c>zooKeeper</c>.</param>
    public static NodeConfig Node(RegistrationRequest request, NodeConfig? existing, bool heldOffline, NodeSource source = NodeSource.Sdk)
    {
        // Sorted, so registering the same metadata twice serialises identically and is recognised as no change.
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Metadata ?? new Dictionary<string, string>())
        {
            metadata[key] = value;
        }

        if (!string.IsNullOrEmpty(request.Version))
        {
            metadata[RegistryMetadata.VersionKey] = request.Version;
        }

        return new NodeConfig
        {
            Id = existing?.Id,
            Address = RegistrationRules.Address(request),
            Weight = request.Weight ?? 100,
            Loc = string.IsNullOrEmpty(request.Loc) ? null : request.Loc,
            Online = existing?.Online ?? !heldOffline,
            Gray = request.Gray ?? [],
            Protocol = existing?.Protocol ?? UpstreamProtocol.Http1,
            HealthPath = string.IsNullOrEmpty(request.HealthPath) ? null : request.HealthPath,
            Source = source,
            Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The service's APIs with the reported ones merged in. A reported API whose path and match kind an existing API
    /// already has widens that API's methods (its id and policy stay); a new one is added under an id made from its
    /// path. Nothing is removed: an API a service stopped serving is the operator's to delete.
    /// </summary>
    /// <param name="source">Recorded on the APIs this adds: which registry reported them.</param>
    public static List<ApiConfig> Apis(IReadOnlyList<ApiConfig> current, IReadOnlyList<ReportedApi> reported, NodeSource source = NodeSource.Sdk)
    {
        var apis = current.ToList();
        foreach (var group in reported.GroupBy(r => (r.Path!, Kind: ApiPathSyntax.Resolve(r.MatchKind ?? MatchKind.Auto, r.Path!))))
        {
            var (path, kind) = group.Key;
            var anyMethod = group.Any(r => r.Methods is null || r.Methods.Count == 0);
            var methods = anyMethod ? [] : group.SelectMany(r => r.Methods!).Select(m => m.ToUpperInvariant()).Distinct().Order(StringComparer.Ordinal).ToList();
            var same = apis.Where(a => a.Path == path && ApiPathSyntax.Resolve(a.Match, a.Path) == kind).ToList();
            if (same.Count == 0)
            {
                apis.Add(new ApiConfig
                {
                    Id = NewId(apis, path), Methods = methods, Path = path, Match = group.First().MatchKind ?? MatchKind.Auto, Source = source,
                });
                continue;
            }

            // Several APIs may share a path with disjoint methods (GET list, POST create): only methods none of them
            // covers are added, to the first, so the merge can never make two of them overlap.
            // An "any method" report where the path already has APIs is left to them: widening one to any method would
            // overlap the others, and their methods were chosen by someone.
            if (same.Any(a => a.Methods.Count == 0) || methods.Count == 0)
            {
                continue;
            }

            var covered = same.SelectMany(a => a.Methods).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var index = apis.IndexOf(same[0]);
            if (methods.Any(m => !covered.Contains(m)))
            {
                apis[index] = same[0] with { Methods = same[0].Methods.Concat(methods.Where(m => !covered.Contains(m))).ToList() };
            }
        }

        return apis;
    }

    /// <summary>An API id from the path (<c>/orders/{id}</c> → <c>orders-id</c>), made unique within the service.</summary>
    private static string NewId(List<ApiConfig> apis, string path)
    {
        var chars = path.Replace("**", "rest", StringComparison.Ordinal).Replace("*", "any", StringComparison.Ordinal)
            .Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray();
        var slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        if (slug.Length == 0)
        {
            slug = "root";
        }

        slug = slug.Length > 60 ? slug[..60] : slug;
        var id = slug;
        for (var n = 2; apis.Any(a => string.Equals(a.Id, id, StringComparison.OrdinalIgnoreCase)); n++)
        {
            id = $"{slug}-{n}";
        }

        return id;
    }
}
