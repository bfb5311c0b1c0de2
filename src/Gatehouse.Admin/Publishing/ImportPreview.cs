using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Gatehouse.Admin.Publishing;

/// <summary>One field of a changed entry: its path inside the entry and its JSON value before and after (null when absent).</summary>
/// <param name="Path">Dotted path inside the entry, e.g. <c>weight</c> or <c>timeouts.readMs</c>; lists are compared whole.</param>
/// <param name="Redacted">True for a secret: <paramref name="From"/> and <paramref name="To"/> are then <c>"(secret)"</c> or null, never the value.</param>
internal sealed record FieldChange(
    string Path,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? From,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonNode? To,
    bool? Redacted = null);

/// <summary>One entry an import would add, remove, change or reorder.</summary>
/// <param name="Kind"><c>group</c>, <c>policy</c>, <c>service</c>, <c>node</c>, <c>api</c>, <c>mapping</c>, <c>serviceSet</c>, <c>app</c> (or <c>document</c>).</param>
/// <param name="Id">The entry's id: service name, node id, API id, mapping prefix, set tag, appKey; <c>global</c> for the global policy.</param>
/// <param name="Service">The service a node, API, service policy or mapping belongs to; null otherwise.</param>
/// <param name="Entry">The entry as validation errors name it, e.g. <c>services[orders].nodes[orders-1]</c>.</param>
/// <param name="Change"><c>added</c>, <c>removed</c>, <c>changed</c> or <c>reordered</c> (same entries, other order: the field <c>order</c>).</param>
/// <param name="Fields">For changed and reordered entries, each differing field; empty for added and removed ones.</param>
/// <param name="Value">For added and removed entries, the entry's JSON (secrets redacted); null otherwise.</param>
internal sealed record ConfigChange(string Kind, string Id, string? Service, string Entry, string Change, IReadOnlyList<FieldChange> Fields,
    JsonNode? Value);

/// <summary>How many entries an import adds, removes and changes; a reordering counts as a change.</summary>
internal sealed record ChangeSummary(int Added, int Removed, int Changed);

/// <summary>The answer of an import dry run: what the import would change against the group's current version.</summary>
internal sealed record ImportPreview(string Group, long CurrentVersion, string CurrentChecksum, IReadOnlyList<ConfigChange> Changes, ChangeSummary Summary);

/// <summary>Turns <see cref="ConfigDiff"/> entries into the import dry run's changes: kind, id and per-field differences.</summary>
/// <remarks>
/// App secrets never appear, not even sealed: a changed secret is a field <c>secret</c> marked <c>redacted</c> whose values
/// are <c>"(secret)"</c>. Secrets are sealed deterministically (same app and secret, same sealed text), so an unchanged
/// secret shows no change.
/// </remarks>
internal static class ImportPreviewBuilder
{
    private const string Hidden = "(secret)";

    public static ImportPreview Build(string group, long currentVersion, string currentChecksum, IReadOnlyList<DiffEntry> entries)
    {
        var changes = new List<ConfigChange>(entries.Count);
        int added = 0, removed = 0, changed = 0;
        foreach (var entry in entries)
        {
            var change = Convert(entry);
            changes.Add(change);
            switch (change.Change)
            {
                case "added":
                    added++;
                    break;
                case "removed":
                    removed++;
                    break;
                default:
                    changed++;
                    break;
            }
        }

        return new ImportPreview(group, currentVersion, currentChecksum, changes, new ChangeSummary(added, removed, changed));
    }

    private static ConfigChange Convert(DiffEntry entry)
    {
        var (kind, id, service) = Name(entry);
        var secretBearing = kind == "app";
        var before = entry.Before;
        var after = entry.After;
        if (entry.Change == "reordered")
        {
            return new ConfigChange(kind, id, service, entry.Entry, entry.Change, [new FieldChange("order", before?.DeepClone(), after?.DeepClone())], null);
        }

        if (entry.Change is "added" or "removed")
        {
            var value = (after ?? before)?.DeepClone();
            return new ConfigChange(kind, id, service, entry.Entry, entry.Change, [], secretBearing ? Redact(value) : value);
        }

        var fields = new List<FieldChange>();
        if (entry.Entry is "group" || entry.Entry.EndsWith("].group", StringComparison.Ordinal))
        {
            fields.Add(new FieldChange("group", before?.DeepClone(), after?.DeepClone()));
        }
        else
        {
            CompareFields(fields, "", before, after, secretBearing);
        }

        return new ConfigChange(kind, id, service, entry.Entry, entry.Change, fields, null);
    }

    /// <summary>Kind, id and owning service of a <see cref="DiffEntry.Entry"/> (the naming <see cref="ConfigDiff"/> uses).</summary>
    private static (string Kind, string Id, string? Service) Name(DiffEntry entry)
    {
        var name = entry.Entry;
        switch (name)
        {
            case "group":
                return ("group", "group", null);
            case "global":
                return ("policy", "global", null);
            case "services":
                return ("service", "(order)", null);
            case "originMappings":
                return ("mapping", "(order)", null);
            case "serviceSets":
                return ("serviceSet", "(order)", null);
            case "apps":
                return ("app", "(order)", null);
        }

        if (name.StartsWith("services[", StringComparison.Ordinal))
        {
            foreach (var (part, kind) in (ReadOnlySpan<(string, string)>)[("].nodes", "node"), ("].apis", "api")])
            {
                var at = name.LastIndexOf(part, StringComparison.Ordinal);
                if (at > 0)
                {
                    var service = name["services[".Length..at];
                    var rest = name[(at + part.Length)..];
                    return rest.Length == 0 ? (kind, "(order)", service) : (kind, Inside(rest), service);
                }
            }

            if (name.EndsWith("].policy", StringComparison.Ordinal))
            {
                var service = name["services[".Length..^"].policy".Length];
                return ("policy", service, service);
            }

            if (name.EndsWith("].group", StringComparison.Ordinal))
            {
                return ("service", name["services[".Length..^"].group".Length], null);
            }

            return ("service", Inside(name["services".Length..]), null);
        }

        if (name.StartsWith("originMappings[", StringComparison.Ordinal))
        {
            var mapping = (entry.After ?? entry.Before) as JsonObject;
            var prefix = mapping?["domainPrefix"]?.GetValue<string>() ?? mapping?["pathPrefix"]?.GetValue<string>() ?? Inside(name["originMappings".Length..]);
            return ("mapping", prefix, mapping?["service"]?.GetValue<string>());
        }

        if (name.StartsWith("serviceSets[", StringComparison.Ordinal))
        {
            return ("serviceSet", Inside(name["serviceSets".Length..]), null);
        }

        if (name.StartsWith("apps[", StringComparison.Ordinal))
        {
            return ("app", Inside(name["apps".Length..]), null);
        }

        return ("document", name, null);
    }

    /// <summary>The text between the leading <c>[</c> and the trailing <c>]</c> of <paramref name="bracketed"/>.</summary>
    private static string Inside(string bracketed) =>
        bracketed.Length >= 2 && bracketed[0] == '[' && bracketed[^1] == ']' ? bracketed[1..^1] : bracketed;

    private static void CompareFields(List<FieldChange> fields, string path, JsonNode? before, JsonNode? after, bool secretBearing)
    {
        if (JsonNode.DeepEquals(before, after))
        {
            return;
        }

        if (before is JsonObject from && after is JsonObject to)
        {
            foreach (var (key, value) in from)
            {
                CompareFields(fields, Join(path, key), value, to[key], secretBearing);
            }

            foreach (var (key, value) in to)
            {
                if (!from.ContainsKey(key))
                {
                    CompareFields(fields, Join(path, key), null, value, secretBearing);
                }
            }

            return;
        }

        fields.Add(secretBearing && path == "secret"
            ? new FieldChange(path, before is null ? null : Hidden, after is null ? null : Hidden, Redacted: true)
            : new FieldChange(path, before?.DeepClone(), after?.DeepClone()));
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>An app's JSON (a copy of its own) with its secret replaced by <c>"(secret)"</c>.</summary>
    private static JsonNode? Redact(JsonNode? app)
    {
        if (app is JsonObject obj && obj.ContainsKey("secret"))
        {
            obj["secret"] = Hidden;
        }

        return app;
    }
}
