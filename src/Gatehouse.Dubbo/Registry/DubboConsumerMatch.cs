namespace Gatehouse.Dubbo.Registry;

/// <summary>
/// Which providers a consumer of a given version and group calls, by the rules of Dubbo's <c>UrlUtils.isMatch</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Version: <c>*</c> matches any provider; otherwise the versions must be equal, where none, empty and
/// <c>0.0.0</c> are the same "no version". (Dubbo compares the registry strings exactly; we fold <c>0.0.0</c> in because
/// that is what "no version" is on Dubbo's wire, and what dubbo.ts registers for a service without one.)</item>
/// <item>Group: <c>*</c> matches any provider; a comma list matches a provider of any group in it (Dubbo's group
/// merging); otherwise the groups must be equal, none and empty being the same.</item>
/// <item>A provider is called only when enabled (<c>enabled</c> not false) and in the <c>providers</c> category.</item>
/// </list>
/// </remarks>
public static class DubboConsumerMatch
{
    /// <summary>The wildcard of version and group.</summary>
    public const string Any = "*";

    /// <summary>True when a consumer of <paramref name="wanted"/> version calls a provider of <paramref name="provider"/> version.</summary>
    public static bool VersionMatches(string? wanted, string? provider) =>
        wanted == Any || string.Equals(NoVersion(wanted), NoVersion(provider), StringComparison.Ordinal);

    /// <summary>True when a consumer of <paramref name="wanted"/> group (or groups) calls a provider of <paramref name="provider"/> group.</summary>
    public static bool GroupMatches(string? wanted, string? provider)
    {
        if (wanted == Any)
        {
            return true;
        }

        var group = provider ?? "";
        if (string.Equals(wanted ?? "", group, StringComparison.Ordinal))
        {
            return true;
        }

        if (wanted is null || !wanted.Contains(',', StringComparison.Ordinal) || group.Length == 0)
        {
            return false;
        }

        foreach (var part in wanted.Split(','))
        {
            if (string.Equals(part.Trim(), group, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when a consumer of <paramref name="interfaceName"/>, <paramref name="version"/> and <paramref name="group"/>
    /// calls the provider at <paramref name="url"/>.
    /// </summary>
    public static bool Matches(DubboProviderUrl url, string interfaceName, string? version, string? group)
    {
        ArgumentNullException.ThrowIfNull(url);
        return string.Equals(url.Interface, interfaceName, StringComparison.Ordinal)
            && url.Category == "providers"
            && url.Enabled
            && VersionMatches(version, url.Version)
            && GroupMatches(group, url.Group);
    }

    private static string NoVersion(string? version) => version is null or "" or "0.0.0" ? "" : version;
}
