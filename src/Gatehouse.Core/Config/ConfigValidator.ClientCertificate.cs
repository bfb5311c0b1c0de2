namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>Subjects non-blank and distinct; thumbprints 64 hex digits (':' allowed between pairs), distinct.</summary>
    private static void ValidateClientCertificate(Errors errors, string entry, ClientCertificateConfig config)
    {
        var subjects = config.Subjects ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < subjects.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(subjects[i]))
            {
                errors.Add($"{entry}.subjects[{i}]", "subject is empty");
            }
            else if (!seen.Add(subjects[i]))
            {
                errors.Add($"{entry}.subjects[{i}]", $"'{subjects[i]}' is listed more than once");
            }
        }

        var thumbprints = config.Thumbprints ?? [];
        seen.Clear();
        for (var i = 0; i < thumbprints.Count; i++)
        {
            var normalized = NormalizeThumbprint(thumbprints[i]);
            if (normalized is null)
            {
                errors.Add($"{entry}.thumbprints[{i}]", $"'{thumbprints[i]}' is not a SHA-256 fingerprint (64 hex digits, ':' separators allowed)");
            }
            else if (!seen.Add(normalized))
            {
                errors.Add($"{entry}.thumbprints[{i}]", $"'{thumbprints[i]}' is listed more than once");
            }
        }
    }

    /// <summary>Lower-case hex without separators, or null when <paramref name="value"/> is not 32 bytes of hex.</summary>
    public static string? NormalizeThumbprint(string? value)
    {
        var hex = (value ?? string.Empty).Replace(":", string.Empty, StringComparison.Ordinal).Trim().ToLowerInvariant();
        return hex.Length == 64 && hex.All(char.IsAsciiHexDigit) ? hex : null;
    }
}
