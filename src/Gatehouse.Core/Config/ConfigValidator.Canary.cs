namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    private const int MaxVersionLength = 128;

    /// <summary>A canary policy at any level.</summary>
    /// <remarks>
    /// <para>Exactly one of <c>gray</c> (a tag) and <c>version</c> names the canary nodes; <c>percent</c> is a
    /// finite number from 0 to 100. Sticky: source <c>header</c> requires <c>name</c>, an HTTP token; <c>query</c>
    /// requires <c>name</c> without spaces, '&amp;', '=' or '#'; <c>clientIp</c> takes no name.</para>
    /// <para>A tag or version no node carries is not an error: nodes may register later. Until one does, all
    /// ordinary traffic stays on the ordinary nodes.</para>
    /// </remarks>
    private static void ValidateCanary(Errors errors, string entry, CanaryConfig canary)
    {
        if (canary.Gray is null && canary.Version is null)
        {
            errors.Add(entry, "canary needs the nodes it sends traffic to: give gray (a gray tag) or version (a node version)");
        }
        else if (canary.Gray is not null && canary.Version is not null)
        {
            errors.Add(entry, "give either gray or version, not both: canary nodes are selected by one of them");
        }
        else if (canary.Gray is not null && string.IsNullOrWhiteSpace(canary.Gray))
        {
            errors.Add($"{entry}.gray", "gray tag must not be blank");
        }
        else
        {
            CheckVersion(errors, $"{entry}.version", canary.Version);
        }

        if (!double.IsFinite(canary.Percent) || canary.Percent is < 0 or > 100)
        {
            errors.Add($"{entry}.percent", $"must be between 0 and 100, got {canary.Percent}");
        }

        if (canary.Sticky is { } sticky)
        {
            CheckEnum(errors, $"{entry}.sticky.source", sticky.Source);
            CheckKeyName(errors, $"{entry}.sticky.name", sticky.Name, Enum.IsDefined(sticky.Source),
                sticky.Source == CanaryKeySource.Header, sticky.Source == CanaryKeySource.Query, ConfigEntries.EnumText(sticky.Source));
        }
    }

    /// <summary>A node version or a version reference: when given, one token of at most 128 characters.</summary>
    private static void CheckVersion(Errors errors, string entry, string? version)
    {
        if (version is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(version))
        {
            errors.Add(entry, "version must not be blank; leave it out when there is none");
        }
        else if (version.Length > MaxVersionLength)
        {
            errors.Add(entry, $"version is {version.Length} characters long; the limit is {MaxVersionLength}");
        }
        else if (version.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add(entry, $"version '{version}' must not contain spaces or control characters");
        }
    }
}
