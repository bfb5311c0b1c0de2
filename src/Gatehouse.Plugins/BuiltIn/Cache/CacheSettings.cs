using System.Text.Json;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>The <c>cache</c> filter's settings, checked once (docs/plugins.md, "cache").</summary>
internal sealed record CacheSettings(
    string Zone,
    long MaxBytes,
    int MaxEntryBytes,
    TimeSpan Ttl,
    TimeSpan MaxTtl,
    int[] Statuses,
    TimeSpan LockTimeout)
{
    private static readonly string[] Keys = ["zone", "maxBytes", "maxEntryBytes", "ttlSeconds", "maxTtlSeconds", "statuses", "lockTimeoutMs"];

    public static CacheSettings Read(JsonElement settings, SettingsReader reader)
    {
        var present = settings.ValueKind != JsonValueKind.Undefined && reader.Object(settings, "", Keys);
        JsonElement s = present ? settings : default;
        var zone = reader.String(s, "zone", "") ?? "default";
        if (zone.Length is 0 or > 64 || !zone.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            reader.Add("zone", "a zone name is 1 to 64 letters, digits, '-' or '_'");
        }

        var maxBytes = reader.Int(s, "maxBytes", "", 1024, int.MaxValue) ?? 64 * 1024 * 1024;
        var maxEntryBytes = reader.Int(s, "maxEntryBytes", "", 1, int.MaxValue) ?? 1024 * 1024;
        if (maxEntryBytes > maxBytes)
        {
            reader.Add("maxEntryBytes", $"must not exceed maxBytes ({maxBytes})");
        }

        var ttl = reader.Int(s, "ttlSeconds", "", 1, 31_536_000) ?? 60;
        var maxTtl = reader.Int(s, "maxTtlSeconds", "", 1, 31_536_000) ?? 86_400;
        if (ttl > maxTtl)
        {
            reader.Add("ttlSeconds", $"must not exceed maxTtlSeconds ({maxTtl})");
        }

        var lockTimeout = reader.Int(s, "lockTimeoutMs", "", 0, 60_000) ?? 5_000;
        return new CacheSettings(zone, maxBytes, maxEntryBytes, TimeSpan.FromSeconds(ttl), TimeSpan.FromSeconds(maxTtl),
            ReadStatuses(s, reader), TimeSpan.FromMilliseconds(lockTimeout));
    }

    private static int[] ReadStatuses(JsonElement settings, SettingsReader reader)
    {
        if (!SettingsReader.TryGet(settings, "statuses", out var value))
        {
            return [200, 301, 404];
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            reader.Add("statuses", $"expected a non-empty list of status codes, found {SettingsReader.Describe(value)}");
            return [];
        }

        var statuses = new List<int>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            // 206 (a range) and 304 (no body) are not whole responses; 1xx are interim.
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var code) && code is >= 200 and <= 599 and not 206 and not 304)
            {
                statuses.Add(code);
            }
            else
            {
                reader.Add($"statuses[{i}]", $"expected a status code from 200 to 599 other than 206 and 304, found {SettingsReader.Describe(item)}");
            }

            i++;
        }

        return [.. statuses];
    }
}
