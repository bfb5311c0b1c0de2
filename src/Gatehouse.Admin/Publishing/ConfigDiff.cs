using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Publishing;

/// <summary>One difference between two snapshots: the entry (named as validation errors name it), how it changed, and its JSON on each side.</summary>
/// <param name="Entry">E.g. <c>services[orders].nodes[orders-1]</c>, <c>originMappings[0]</c>, <c>global</c>.</param>
/// <param name="Change"><c>added</c>, <c>removed</c>, <c>changed</c> or <c>reordered</c> (same items, other order; before/after are the keys).</param>
/// <param name="Before">The entry in the first snapshot; null when added.</param>
/// <param name="After">The entry in the second snapshot; null when removed.</param>
internal sealed record DiffEntry(string Entry, string Change, JsonNode? Before, JsonNode? After);

/// <summary>Compares two snapshots of a group entry by entry.</summary>
/// <remarks>
/// Keyed lists are matched by key (services by name, nodes by effective id, APIs by id, sets by tag) and compared by
/// their <see cref="ConfigSerializer"/> JSON, key order ignored, so an entry is "changed" exactly when its part of the
/// canonical JSON differs. Origin mappings have no key in the config, so they are matched by content: a changed mapping
/// shows as one removed and one added. List order counts in the checksum, so a pure order change is reported too.
/// </remarks>
internal static class ConfigDiff
{
    /// <summary>The changes that turn <paramref name="from"/> into <paramref name="to"/>; empty when only the version differs.</summary>
    public static IReadOnlyList<DiffEntry> Compare(GatewayConfig from, GatewayConfig to)
    {
        var changes = new List<DiffEntry>();
        CompareValue(changes, "group", from.Group, to.Group);
        CompareValue(changes, "global", from.Global, to.Global);
        CompareKeyed(changes, "services", from.Services, to.Services, s => s.Name, CompareService);
        CompareMappings(changes, from.OriginMappings, to.OriginMappings);
        CompareKeyed(changes, "serviceSets", from.ServiceSets, to.ServiceSets, s => s.Tag, null);

        // Apps by key; their secrets are the sealed transport form here, so a diff never shows a plaintext secret.
        CompareKeyed(changes, "apps", from.Apps ?? [], to.Apps ?? [], a => a.AppKey, null);

        // Every part of the model is covered above; this guards against a member added to the model later.
        if (changes.Count == 0 && Canonical(from) != Canonical(to))
        {
            changes.Add(new DiffEntry("(document)", "changed", null, null));
        }

        return changes;
    }

    private static void CompareService(List<DiffEntry> changes, string entry, ServiceConfig from, ServiceConfig to)
    {
        var count = changes.Count;
        CompareValue(changes, $"{entry}.group", from.Group, to.Group);
        CompareValue(changes, $"{entry}.policy", from.Policy, to.Policy);
        CompareKeyed(changes, $"{entry}.nodes", from.Nodes, to.Nodes, (n, i) => NodeIdentity.EffectiveId(n) ?? $"{i}", null);
        CompareKeyed(changes, $"{entry}.apis", from.Apis, to.Apis, (a, i) => a.Id.Length == 0 ? $"{i}" : a.Id, null);
        if (changes.Count == count)
        {
            // Something outside the parts listed above differs (e.g. the name's case): report the service whole.
            changes.Add(new DiffEntry(entry, "changed", ToNode(from), ToNode(to)));
        }
    }

    private static void CompareKeyed<T>(List<DiffEntry> changes, string list, IReadOnlyList<T> from, IReadOnlyList<T> to,
        Func<T, string> key, Action<List<DiffEntry>, string, T, T>? compareInside) =>
        CompareKeyed(changes, list, from, to, (item, _) => key(item), compareInside);

    private static void CompareKeyed<T>(List<DiffEntry> changes, string list, IReadOnlyList<T> from, IReadOnlyList<T> to,
        Func<T, int, string> key, Action<List<DiffEntry>, string, T, T>? compareInside)
    {
        var before = from.Select((item, i) => (Key: key(item, i), Item: item)).ToList();
        var after = to.Select((item, i) => (Key: key(item, i), Item: item)).ToList();
        var afterByKey = after.ToDictionary(x => x.Key, x => x.Item, StringComparer.Ordinal);
        var beforeKeys = before.Select(x => x.Key).ToHashSet(StringComparer.Ordinal);

        foreach (var (k, item) in before)
        {
            var entry = $"{list}[{k}]";
            if (!afterByKey.TryGetValue(k, out var other))
            {
                changes.Add(new DiffEntry(entry, "removed", ToNode(item), null));
            }
            else if (!JsonNode.DeepEquals(ToNode(item), ToNode(other)))
            {
                if (compareInside is null)
                {
                    changes.Add(new DiffEntry(entry, "changed", ToNode(item), ToNode(other)));
                }
                else
                {
                    compareInside(changes, entry, item, other);
                }
            }
        }

        foreach (var (k, item) in after.Where(x => !beforeKeys.Contains(x.Key)))
        {
            changes.Add(new DiffEntry($"{list}[{k}]", "added", null, ToNode(item)));
        }

        var keptBefore = before.Select(x => x.Key).Where(afterByKey.ContainsKey).ToList();
        var keptAfter = after.Select(x => x.Key).Where(beforeKeys.Contains).ToList();
        if (!keptBefore.SequenceEqual(keptAfter, StringComparer.Ordinal))
        {
            changes.Add(new DiffEntry(list, "reordered", KeyList(keptBefore), KeyList(keptAfter)));
        }
    }

    private static void CompareMappings(List<DiffEntry> changes, IReadOnlyList<OriginMappingConfig> from, IReadOnlyList<OriginMappingConfig> to)
    {
        var before = from.Select(m => ToNode(m)!).ToList();
        var after = to.Select(m => ToNode(m)!).ToList();
        var unmatchedAfter = Enumerable.Range(0, after.Count).ToList();
        var matched = new List<(int From, int To)>();
        for (var i = 0; i < before.Count; i++)
        {
            var j = unmatchedAfter.FindIndex(k => JsonNode.DeepEquals(before[i], after[k]));
            if (j < 0)
            {
                changes.Add(new DiffEntry($"originMappings[{i}]", "removed", before[i], null));
                continue;
            }

            matched.Add((i, unmatchedAfter[j]));
            unmatchedAfter.RemoveAt(j);
        }

        foreach (var k in unmatchedAfter)
        {
            changes.Add(new DiffEntry($"originMappings[{k}]", "added", null, after[k]));
        }

        if (!matched.Select(m => m.To).SequenceEqual(matched.Select(m => m.To).Order()))
        {
            changes.Add(new DiffEntry("originMappings", "reordered",
                new JsonArray(matched.Select(m => (JsonNode)m.From).ToArray()), new JsonArray(matched.Select(m => (JsonNode)m.To).ToArray())));
        }
    }

    private static void CompareValue<T>(List<DiffEntry> changes, string entry, T? from, T? to)
    {
        var before = ToNode(from);
        var after = ToNode(to);
        if (JsonNode.DeepEquals(before, after))
        {
            return;
        }

        var change = before is null ? "added" : after is null ? "removed" : "changed";
        changes.Add(new DiffEntry(entry, change, before, after));
    }

    private static JsonNode? ToNode<T>(T? value) => value is null ? null : JsonSerializer.SerializeToNode(value, ConfigSerializer.Options);

    private static JsonArray KeyList(IEnumerable<string> keys) => new(keys.Select(k => (JsonNode)k).ToArray());

    private static string Canonical(GatewayConfig config) => ConfigChecksum.ToCanonicalJson(config with { Version = 0 });
}
