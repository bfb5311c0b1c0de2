using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Gatehouse.Core.Config;

/// <summary>
/// Checks a <see cref="ConfigDocument"/> against the model before it is deserialized, so that every type error,
/// unknown key and misplaced null is reported at once (the serializer stops at the first) with an entry name and a
/// line. Whatever does not fit is removed, or replaced by an empty value inside a list so later indexes keep their
/// meaning; the rest then deserializes and can still be validated.
/// </summary>
/// <remarks>
/// The walk is driven by the serializer's own contract (<see cref="JsonTypeInfo"/> of <see cref="ConfigSerializer.Options"/>),
/// and leaf values are tested by deserializing them with those options, so the checker cannot accept what the
/// serializer would reject and follows the model as it grows.
/// </remarks>
internal sealed class ConfigShapeChecker
{
    private readonly ConfigDocument _document;
    private readonly string? _source;
    private readonly List<ConfigError> _errors;

    private ConfigShapeChecker(ConfigDocument document, string? source, List<ConfigError> errors)
    {
        _document = document;
        _source = source;
        _errors = errors;
    }

    public static void Check(ConfigDocument document, string? source, List<ConfigError> errors)
    {
        var checker = new ConfigShapeChecker(document, source, errors);
        var start = errors.Count;
        checker.CheckObject(document.Root, TypeInfo(typeof(GatewayConfig)), "", "");

        // Reader problems are reported first, as they come from earlier in the pipeline, once entries are known.
        errors.InsertRange(start, document.Problems.Select(p => new ConfigError(source, document.EntryOf(p.Pointer), p.Message)));
    }

    private static JsonTypeInfo TypeInfo(Type type) => ConfigSerializer.Options.GetTypeInfo(type);

    private void CheckObject(JsonObject obj, JsonTypeInfo type, string pointer, string entry)
    {
        var properties = type.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (key, value) in obj.ToList())
        {
            var childPointer = ConfigDocument.ChildPointer(pointer, key);
            var childEntry = ConfigEntries.Child(entry, key);
            _document.MapEntry(childEntry, childPointer);
            if (!properties.TryGetValue(key, out var property))
            {
                Report(childPointer, childEntry, $"unknown key '{key}'{Suggest(key, properties.Keys)}");
                obj.Remove(key);
                continue;
            }

            if (!CheckValue(value, TypeInfo(property.PropertyType), property.IsSetNullable, childPointer, childEntry))
            {
                obj.Remove(key);
                _document.DroppedEntries.Add(childEntry);
            }
        }
    }

    /// <summary>Returns false when the value does not fit and the caller must drop it.</summary>
    private bool CheckValue(JsonNode? node, JsonTypeInfo type, bool nullable, string pointer, string entry)
    {
        _document.MapEntry(entry, pointer);
        if (node is null)
        {
            if (!nullable)
            {
                Report(pointer, entry, $"expected {Expected(type, null)}, found nothing (null); remove the key to use the default");
            }

            return nullable;
        }

        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object when node is JsonObject obj:
                CheckObject(obj, type, pointer, entry);
                return true;
            case JsonTypeInfoKind.Enumerable when node is JsonArray array:
                CheckItems(array, TypeInfo(type.ElementType!), pointer, entry);
                return true;
            case JsonTypeInfoKind.Dictionary when node is JsonObject map:
                CheckMap(map, TypeInfo(type.ElementType!), pointer, entry);
                return true;
            case JsonTypeInfoKind.None when Fits(node, type):
                if (type.Type == typeof(JsonElement) || type.Type == typeof(JsonElement?))
                {
                    MapFreeForm(node, pointer, entry);
                }

                return true;
            default:
                Report(pointer, entry, $"expected {Expected(type, node)}, found {Found(node)}{Hint(type, node)}");
                return false;
        }
    }

    /// <summary>
    /// Maps the entries inside a free-form value (a plugin's settings) to their positions, so that errors the plugin
    /// reports about them carry a line; their content is the plugin's to check.
    /// </summary>
    private void MapFreeForm(JsonNode? node, string pointer, string entry)
    {
        _document.MapEntry(entry, pointer);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                MapFreeForm(value, ConfigDocument.ChildPointer(pointer, key), ConfigEntries.Child(entry, key));
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                MapFreeForm(array[i], ConfigDocument.ItemPointer(pointer, i), ConfigEntries.Index(entry, i));
            }
        }
    }

    private void CheckItems(JsonArray array, JsonTypeInfo elementType, string pointer, string entry)
    {
        for (var i = 0; i < array.Count; i++)
        {
            var itemEntry = ConfigEntries.Item(entry, ConfigEntries.ItemName(elementType.Type, array[i]), i);
            var itemPointer = ConfigDocument.ItemPointer(pointer, i);

            // No list in the model holds nulls, and the annotations of list elements are not visible here.
            if (!CheckValue(array[i], elementType, nullable: false, itemPointer, itemEntry))
            {
                array[i] = Placeholder(elementType);
                _document.DroppedEntries.Add(itemEntry);
            }
        }
    }

    private void CheckMap(JsonObject map, JsonTypeInfo valueType, string pointer, string entry)
    {
        foreach (var (key, value) in map.ToList())
        {
            var valueEntry = $"{entry}[{key}]";
            if (!CheckValue(value, valueType, nullable: false, ConfigDocument.ChildPointer(pointer, key), valueEntry))
            {
                map.Remove(key);
                _document.DroppedEntries.Add(valueEntry);
            }
        }
    }

    private static bool Fits(JsonNode node, JsonTypeInfo type)
    {
        try
        {
            _ = node.Deserialize(type);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>An empty value that deserializes, keeping the indexes of the items after a bad one.</summary>
    private static JsonNode? Placeholder(JsonTypeInfo type) => type.Kind switch
    {
        JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => new JsonObject(),
        JsonTypeInfoKind.Enumerable => new JsonArray(),
        _ when type.Type == typeof(string) => JsonValue.Create(""),
        _ => JsonSerializer.SerializeToNode(Activator.CreateInstance(type.Type), type.Type, ConfigSerializer.Options),
    };

    private void Report(string pointer, string entry, string message) =>
        _errors.Add(new ConfigError(_source, entry, _document.At(pointer, message)));

    private static string Expected(JsonTypeInfo type, JsonNode? found)
    {
        var t = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        if (t.IsEnum)
        {
            var names = Enum.GetValues(t).Cast<object>().Select(v => JsonSerializer.Serialize(v, t, ConfigSerializer.Options).Trim('"'));
            return "one of " + string.Join(", ", names);
        }

        return type.Kind switch
        {
            JsonTypeInfoKind.Object => "a mapping (key: value pairs)",
            JsonTypeInfoKind.Enumerable => "a list",
            JsonTypeInfoKind.Dictionary => "a mapping of names to values",
            _ when t == typeof(string) => "a string",
            _ when t == typeof(bool) => "true or false",
            // The range only helps when the value is a whole number that is too big; for 1.5 it is noise.
            _ when t == typeof(int) => found?.GetValueKind() == JsonValueKind.Number && found.ToJsonString().All(c => char.IsAsciiDigit(c) || c == '-')
                ? $"a whole number from {int.MinValue} to {int.MaxValue}"
                : "a whole number",
            _ when t == typeof(long) => "a whole number",
            _ => $"a value of type {t.Name}",
        };
    }

    private static string Found(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the text \"{Shorten(node.GetValue<string>())}\"",
        JsonValueKind.Number => $"the number {node.ToJsonString()}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static string Hint(JsonTypeInfo type, JsonNode node)
    {
        var t = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        var kind = node.GetValueKind();
        if (t == typeof(string) && kind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
        {
            return "; quote the value to make it text";
        }

        var quotedLiteral = kind == JsonValueKind.String && node.GetValue<string>() is "true" or "false"
            || kind == JsonValueKind.String && long.TryParse(node.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
        return quotedLiteral && (t == typeof(bool) || t == typeof(int) || t == typeof(long))
            ? "; remove the quotes"
            : "";
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    /// <summary>Suggests the key the author probably meant: same letters in another case, or one or two typos away.</summary>
    private static string Suggest(string key, IEnumerable<string> known)
    {
        var candidates = known.ToList();
        var best = candidates.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? candidates.Where(k => Distance(k, key) <= 2).OrderBy(k => Distance(k, key)).FirstOrDefault();
        return best is not null
            ? $" (did you mean '{best}'?)"
            : $"; expected one of: {string.Join(", ", candidates)}";
    }

    private static int Distance(string a, string b) => Text.EditDistance.Between(a.ToLowerInvariant(), b.ToLowerInvariant());
}
