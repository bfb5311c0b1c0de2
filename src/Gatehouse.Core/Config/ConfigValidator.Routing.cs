namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    private const int MaxDnsLabelLength = 63;

    /// <summary>Origin mappings (domain prefix or path prefix → service).</summary>
    /// <remarks>
    /// Exactly one of <c>domainPrefix</c> and <c>pathPrefix</c>. A domain prefix is one DNS label (RFC 1035: letters,
    /// digits and '-', not first or last, at most 63 characters), unique ignoring case. A path prefix starts with
    /// '/', names at least one segment ('/' alone would capture every request), does not end with '/', is literal
    /// (no '*', '{' or '}'), has no query, fragment, empty segment or spaces, and is unique (paths are
    /// case-sensitive). <c>stripPrefix</c> applies only to a path prefix. <c>service</c> must name a service.
    /// </remarks>
    private static void ValidateOriginMappings(Errors errors, IReadOnlyList<OriginMappingConfig> mappings, ServiceNames services)
    {
        var domains = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var paths = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < mappings.Count; i++)
        {
            var entry = ConfigEntries.Index("originMappings", i);
            var mapping = mappings[i];
            if (mapping is null)
            {
                errors.Add(entry, "entry is empty (null)");
                continue;
            }

            if ((mapping.DomainPrefix is null) == (mapping.PathPrefix is null))
            {
                errors.Add(entry, mapping.DomainPrefix is null
                    ? "set exactly one of domainPrefix or pathPrefix (neither is set)"
                    : "set exactly one of domainPrefix or pathPrefix (both are set)");
            }

            if (mapping.DomainPrefix is { } domain && CheckDomainPrefix(errors, $"{entry}.domainPrefix", domain)
                && !domains.TryAdd(domain, i))
            {
                errors.Add($"{entry}.domainPrefix",
                    $"domain prefix '{domain}' is already mapped by originMappings[{domains[domain]}] (compared ignoring case)");
            }

            if (mapping.PathPrefix is { } path && CheckPathPrefix(errors, $"{entry}.pathPrefix", path)
                && !paths.TryAdd(path, i))
            {
                errors.Add($"{entry}.pathPrefix", $"path prefix '{path}' is already mapped by originMappings[{paths[path]}]");
            }

            if (mapping.StripPrefix && mapping.PathPrefix is null && mapping.DomainPrefix is not null)
            {
                errors.Add($"{entry}.stripPrefix", "stripPrefix applies only to a pathPrefix mapping");
            }

            CheckServiceReference(errors, $"{entry}.service", mapping.Service, services);
        }
    }

    private static bool CheckDomainPrefix(Errors errors, string entry, string domain)
    {
        var valid = domain.Length is > 0 and <= MaxDnsLabelLength
            && domain.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && domain[0] != '-' && domain[^1] != '-';
        if (!valid)
        {
            errors.Add(entry, $"domainPrefix '{domain}' must be a single DNS label: letters, digits and '-' (not first or last), "
                + $"at most {MaxDnsLabelLength} characters, e.g. 'orders' for orders.api.example.com");
        }

        return valid;
    }

    private static bool CheckPathPrefix(Errors errors, string entry, string path)
    {
        string? problem = null;
        if (!path.StartsWith('/'))
        {
            problem = "must start with '/'";
        }
        else if (path == "/")
        {
            problem = "must name at least one segment; '/' alone would capture every request";
        }
        else if (path.EndsWith('/'))
        {
            problem = "must not end with '/'";
        }
        else if (path.IndexOfAny(['*', '{', '}']) >= 0)
        {
            problem = "must be literal: no '*', '{' or '}'";
        }
        else if (path.IndexOfAny(['?', '#']) >= 0)
        {
            problem = "must not contain a query or fragment";
        }
        else if (path.Contains("//", StringComparison.Ordinal))
        {
            problem = "must not contain an empty segment ('//')";
        }
        else if (path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            problem = "must not contain spaces or control characters";
        }

        if (problem is not null)
        {
            errors.Add(entry, $"pathPrefix '{path}' {problem}");
        }

        return problem is null;
    }

    /// <summary>Service sets (<c>scTag</c> → ordered services).</summary>
    /// <remarks>
    /// <c>tag</c> per the name rule (it travels in a header), unique ignoring case. <c>services</c> not empty; each
    /// names a defined service, none twice.
    /// </remarks>
    private static void ValidateServiceSets(Errors errors, IReadOnlyList<ServiceSetConfig> sets, ServiceNames services)
    {
        var tags = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < sets.Count; i++)
        {
            var set = sets[i];
            if (set is null)
            {
                errors.Add(ConfigEntries.Index("serviceSets", i), "entry is empty (null)");
                continue;
            }

            var entry = ConfigEntries.Item("serviceSets", set.Tag, i);
            if (CheckName(errors, $"{entry}.tag", set.Tag, "tag") && !tags.TryAdd(set.Tag, i))
            {
                errors.Add($"{entry}.tag",
                    $"tag '{set.Tag}' is used by more than one service set (first at serviceSets[{tags[set.Tag]}]; compared ignoring case)");
            }

            var members = set.Services ?? [];
            if (members.Count == 0)
            {
                errors.Add($"{entry}.services", "must list at least one service");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var j = 0; j < members.Count; j++)
            {
                var memberEntry = ConfigEntries.Index($"{entry}.services", j);
                CheckServiceReference(errors, memberEntry, members[j], services);
                if (!string.IsNullOrWhiteSpace(members[j]) && !seen.Add(members[j]))
                {
                    errors.Add(memberEntry, $"service '{members[j]}' is listed twice");
                }
            }
        }
    }
}
