using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gatehouse.Core.Config;

/// <summary>
/// Builds the entry names errors use, e.g. <c>services[orders].nodes[orders-1].address</c>: a list item is named by
/// its name or id when it has one, else by its index. The shape checker (which sees JSON) and the validator (which
/// sees the model) both name items here, so one entry means the same thing in both kinds of error.
/// </summary>
internal static class ConfigEntries
{
    /// <summary>Entry for problems with the document as a whole: syntax, emptiness, an unreadable file.</summary>
    public const string Document = "(document)";

    public static string Child(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    public static string Item(string list, string? name, int index) =>
        string.IsNullOrWhiteSpace(name) ? Index(list, index) : $"{list}[{name}]";

    public static string Index(string list, int index) => $"{list}[{index}]";

    /// <summary>Names a list item of the given model type from its JSON form, matching what the validator uses.</summary>
    public static string? ItemName(Type elementType, JsonNode? item)
    {
        if (item is not JsonObject obj)
        {
            return null;
        }

        if (elementType == typeof(ServiceConfig))
        {
            return StringMember(obj, "name");
        }

        if (elementType == typeof(NodeConfig))
        {
            return NodeIdentity.EffectiveId(StringMember(obj, "id"), StringMember(obj, "address"));
        }

        if (elementType == typeof(ApiConfig))
        {
            return StringMember(obj, "id");
        }

        if (elementType == typeof(AppConfig))
        {
            return StringMember(obj, "appKey");
        }

        return elementType == typeof(ServiceSetConfig) ? StringMember(obj, "tag") : null;
    }

    /// <summary>The entry one level up: <c>a.b[c].d</c> → <c>a.b[c]</c> → <c>a.b</c> → <c>a</c> → null.</summary>
    public static string? Parent(string entry)
    {
        // Names may contain '.', so only separators outside brackets count.
        var depth = 0;
        var cut = -1;
        for (var i = 0; i < entry.Length; i++)
        {
            switch (entry[i])
            {
                case '[':
                    if (depth++ == 0)
                    {
                        cut = i;
                    }

                    break;
                case ']':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '.' when depth == 0:
                    cut = i;
                    break;
            }
        }

        return cut <= 0 ? null : entry[..cut];
    }

    /// <summary>True when <paramref name="entry"/> is <paramref name="ancestor"/> or lies inside it.</summary>
    public static bool IsAtOrUnder(string entry, string ancestor) =>
        entry.StartsWith(ancestor, StringComparison.Ordinal)
        && (entry.Length == ancestor.Length || entry[ancestor.Length] is '.' or '[');

    /// <summary>An enum value as it is written in config, e.g. <c>consistentHash</c>.</summary>
    public static string EnumText<T>(T value)
        where T : struct, Enum =>
        Enum.IsDefined(value) ? JsonSerializer.Serialize(value, ConfigSerializer.Options).Trim('"') : value.ToString();

    private static string? StringMember(JsonObject obj, string key) =>
        obj.TryGetPropertyValue(key, out var value) && value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
