namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    private const int MaxWeight = 10_000;

    /// <summary>Services, their nodes and their APIs.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Service: name per the name rule, unique ignoring case; <c>group</c>, when given, a valid name; policy
    /// per <see cref="ValidatePolicy"/>. A service may have no nodes (they can come from the registry) and no APIs.</item>
    /// <item>Node: <c>address</c> required, an absolute http/https URI with a host, no spaces, no user info, no query
    /// or fragment (a path prefix is allowed). <c>id</c>, when given, not blank and one token of at most 256
    /// characters; the effective id (id, else <c>host:port</c>) unique in the service ignoring case. <c>weight</c>
    /// 0..10000. <c>loc</c>, when given, not blank. Gray tags not blank and not repeated. <c>healthPath</c>, when
    /// given, starts with '/' and has no spaces. Metadata keys not blank, values not null.</item>
    /// <item>API: <c>id</c> required, one token of at most 256 characters, unique in the service ignoring case.
    /// Methods are HTTP tokens (RFC 9110 §5.6.2), compared upper-cased, none repeated; none means any method.
    /// <c>path</c> valid per <see cref="ApiPathSyntax.Check"/> for its match kind. Two APIs of a service with the
    /// same resolved match kind and path conflict when their methods overlap (either allows any method, or they
    /// share one): the gateway could not tell which one a request is for.</item>
    /// </list>
    /// </remarks>
    private static ServiceNames ValidateServices(Errors errors, IReadOnlyList<ServiceConfig> services)
    {
        var names = new ServiceNames();
        var firstIndex = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < services.Count; i++)
        {
            var service = services[i];
            if (service is null)
            {
                errors.Add(ConfigEntries.Index("services", i), "entry is empty (null)");
                continue;
            }

            var entry = ConfigEntries.Item("services", service.Name, i);
            if (CheckName(errors, $"{entry}.name", service.Name, "service name"))
            {
                if (firstIndex.TryGetValue(service.Name, out var first))
                {
                    errors.Add($"{entry}.name",
                        $"service name '{service.Name}' is used more than once (first at services[{first}]; names are compared ignoring case)");
                }
                else
                {
                    firstIndex[service.Name] = i;
                }
            }

            if (!string.IsNullOrWhiteSpace(service.Name))
            {
                names.Exact.Add(service.Name);
                names.ByLowerCase.TryAdd(service.Name, service.Name);
            }

            if (service.Group is not null)
            {
                CheckName(errors, $"{entry}.group", service.Group, "group");
            }

            if (service.Policy is not null)
            {
                ValidatePolicy(errors, $"{entry}.policy", service.Policy);
            }

            CheckVersion(errors, $"{entry}.activeVersion", service.ActiveVersion);
            if (service.HealthCheck is not null)
            {
                ValidateHealthCheck(errors, $"{entry}.healthCheck", service.HealthCheck);
            }

            if (service.SlowStartMs is < 0 or > MaxTimeoutMs)
            {
                errors.Add($"{entry}.slowStartMs", $"must be between 0 (off) and {MaxTimeoutMs} ms (1 day), got {service.SlowStartMs}");
            }

            ValidateNodes(errors, $"{entry}.nodes", service.Nodes ?? []);
            ValidateApis(errors, $"{entry}.apis", service.Apis ?? [], service.Nodes ?? []);
            if (service.Discovery is not null)
            {
                ValidateDiscovery(errors, $"{entry}.discovery", service.Discovery, service.Apis ?? []);
            }

            if (service.UpstreamTls is not null)
            {
                ValidateUpstreamTls(errors, $"{entry}.upstreamTls", service.UpstreamTls);
            }
        }

        return names;
    }

    private static void ValidateNodes(Errors errors, string listEntry, IReadOnlyList<NodeConfig> nodes)
    {
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node is null)
            {
                errors.Add(ConfigEntries.Index(listEntry, i), "entry is empty (null)");
                continue;
            }

            var id = NodeIdentity.EffectiveId(node);
            var entry = ConfigEntries.Item(listEntry, id, i);
            CheckAddress(errors, $"{entry}.address", node.Address);
            if (node.Id is not null && string.IsNullOrWhiteSpace(node.Id))
            {
                errors.Add($"{entry}.id", "id must not be blank; leave it out to use host:port of the address");
            }
            else if (node.Id is not null)
            {
                CheckId(errors, $"{entry}.id", node.Id, "id");
            }

            if (id is not null && !ids.Add(id))
            {
                errors.Add(node.Id is null ? $"{entry}.address" : $"{entry}.id", node.Id is null
                    ? $"node id '{id}' is used by more than one node of this service (a node without an id is known by host:port of its address)"
                    : $"node id '{id}' is used by more than one node of this service (ids are compared ignoring case)");
            }

            if (node.Weight is < 0 or > MaxWeight)
            {
                errors.Add($"{entry}.weight", $"must be between 0 and {MaxWeight}, got {node.Weight}");
            }

            if (node.Loc is not null && string.IsNullOrWhiteSpace(node.Loc))
            {
                errors.Add($"{entry}.loc", "loc must not be blank; leave it out when the node has no location");
            }

            CheckGrayTags(errors, $"{entry}.gray", node.Gray ?? []);
            CheckVersion(errors, $"{entry}.version", node.Version);
            if (node.HealthPath is not null && (!node.HealthPath.StartsWith('/') || node.HealthPath.Any(char.IsWhiteSpace)))
            {
                errors.Add($"{entry}.healthPath", $"healthPath '{node.HealthPath}' must be a path starting with '/', without spaces, e.g. /healthz");
            }

            foreach (var (key, value) in node.Metadata ?? new Dictionary<string, string>())
            {
                if (string.IsNullOrWhiteSpace(key))
                {
                    errors.Add($"{entry}.metadata", "metadata keys must not be blank");
                }
                else if (value is null)
                {
                    errors.Add($"{entry}.metadata[{key}]", "value must not be null");
                }
            }

            CheckEnum(errors, $"{entry}.protocol", node.Protocol);
            CheckEnum(errors, $"{entry}.source", node.Source);
        }
    }

    private static void CheckAddress(Errors errors, string entry, string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            errors.Add(entry, "address is required, e.g. http://10.0.0.5:8080");
        }
        else if (address.Any(char.IsWhiteSpace))
        {
            errors.Add(entry, $"address '{address}' must not contain spaces");
        }
        else if (!NodeIdentity.TryParseAddress(address, out var uri))
        {
            errors.Add(entry, $"address '{address}' must be an absolute http://, https://, dubbo:// or tars:// URI with a host, e.g. http://10.0.0.5:8080");
        }
        else if (uri.UserInfo.Length > 0)
        {
            errors.Add(entry, $"address '{address}' must not contain a user name or password");
        }
        else if (address.Contains('?') || address.Contains('#'))
        {
            errors.Add(entry, $"address '{address}' must not have a query or fragment");
        }
        else if (uri.Scheme == NodeIdentity.DubboScheme && uri.AbsolutePath.Length > 1)
        {
            errors.Add(entry, $"address '{address}' must not have a path: a Dubbo provider is host:port, e.g. dubbo://10.0.0.5:20880");
        }
        else if (uri.Scheme == NodeIdentity.TarsScheme && uri.AbsolutePath.Length > 1)
        {
            errors.Add(entry, $"address '{address}' must not have a path: a Tars server is host:port, e.g. tars://10.0.0.5:10015");
        }
        else if (uri.Port < 1)
        {
            errors.Add(entry, $"address '{address}' has port {uri.Port}; a port is 1 to 65535");
        }
    }

    private static void CheckGrayTags(Errors errors, string listEntry, IReadOnlyList<string> tags)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i]))
            {
                errors.Add(ConfigEntries.Index(listEntry, i), "gray tag must not be blank");
            }
            else if (!seen.Add(tags[i]))
            {
                errors.Add(ConfigEntries.Index(listEntry, i), $"gray tag '{tags[i]}' is listed twice");
            }
        }
    }

    private static void ValidateApis(Errors errors, string listEntry, IReadOnlyList<ApiConfig> apis, IReadOnlyList<NodeConfig> nodes)
    {
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var matchable = new List<(string Entry, MatchKind Kind, string Path, HashSet<string> Methods)>();
        for (var i = 0; i < apis.Count; i++)
        {
            var api = apis[i];
            if (api is null)
            {
                errors.Add(ConfigEntries.Index(listEntry, i), "entry is empty (null)");
                continue;
            }

            var entry = ConfigEntries.Item(listEntry, api.Id, i);
            if (CheckId(errors, $"{entry}.id", api.Id, "id") && !ids.Add(api.Id))
            {
                errors.Add($"{entry}.id", $"api id '{api.Id}' is used more than once in this service (ids are compared ignoring case)");
            }

            var methods = CheckMethods(errors, $"{entry}.methods", api.Methods ?? []);
            CheckEnum(errors, $"{entry}.match", api.Match);
            var pathProblem = ApiPathSyntax.Check(api.Match, api.Path ?? "");
            if (pathProblem is not null)
            {
                errors.Add($"{entry}.path", pathProblem);
            }
            else if (Enum.IsDefined(api.Match))
            {
                var kind = ApiPathSyntax.Resolve(api.Match, api.Path!);
                foreach (var other in matchable)
                {
                    if (other.Kind == kind && other.Path == api.Path && Overlap(methods, other.Methods) is { } shared)
                    {
                        errors.Add($"{entry}.path",
                            $"conflicts with {other.Entry}: both match {ConfigEntries.EnumText(kind)} path '{api.Path}' for {shared}");
                    }
                }

                matchable.Add((entry, kind, api.Path!, methods));
            }

            if (api.Policy is not null)
            {
                ValidatePolicy(errors, $"{entry}.policy", api.Policy, apiLevel: true);
            }

            ValidateApiProtocol(errors, entry, api, nodes);
            ValidateGrpcTranscoding(errors, entry, api);
        }
    }

    /// <summary>Checks the method list; returns the valid methods upper-cased (empty means any method).</summary>
    private static HashSet<string> CheckMethods(Errors errors, string listEntry, IReadOnlyList<string> methods)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < methods.Count; i++)
        {
            var method = methods[i];
            if (string.IsNullOrWhiteSpace(method))
            {
                errors.Add(ConfigEntries.Index(listEntry, i), "method must not be blank");
            }
            else if (!IsToken(method))
            {
                errors.Add(ConfigEntries.Index(listEntry, i), $"'{method}' is not a valid HTTP method name");
            }
            else if (!seen.Add(method.ToUpperInvariant()))
            {
                errors.Add(ConfigEntries.Index(listEntry, i), $"method '{method}' is listed twice");
            }
        }

        return seen;
    }

    /// <summary>Describes the methods two APIs both match, or null when they share none.</summary>
    private static string? Overlap(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 && b.Count == 0)
        {
            return "any method";
        }

        var shared = a.Count == 0 ? b : b.Count == 0 ? a : a.Intersect(b).ToHashSet();
        return shared.Count == 0 ? null : string.Join(", ", shared.Order(StringComparer.Ordinal));
    }
}
