using System.Reflection;

namespace Gatehouse.Core.Build;

/// <summary>
/// The product version and the commit it was built from, as the build recorded them in the informational version
/// (<c>1.0.0+&lt;sha&gt;</c>: the SDK appends the source revision when the build runs in a git checkout).
/// </summary>
public static class BuildInfo
{
    private static readonly (string Version, string? Commit) Parsed = Parse(
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BuildInfo).Assembly.GetName().Version?.ToString());

    /// <summary>The version without the commit, e.g. <c>1.0.0</c>; <c>unknown</c> if the build recorded none.</summary>
    public static string Version => Parsed.Version;

    /// <summary>The commit the build was made from; null when the build ran outside a git checkout.</summary>
    public static string? Commit => Parsed.Commit;

    /// <summary>Splits an informational version at its first <c>+</c> into version and commit.</summary>
    public static (string Version, string? Commit) Parse(string? informational)
    {
        if (string.IsNullOrWhiteSpace(informational))
        {
            return ("unknown", null);
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return (informational, null);
        }

        var commit = informational[(plus + 1)..];
        return (informational[..plus], commit.Length == 0 ? null : commit);
    }
}
