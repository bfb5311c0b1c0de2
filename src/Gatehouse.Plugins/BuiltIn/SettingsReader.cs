using System.Text.Json;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// Reads the built-in filters' settings from JSON, collecting every problem with its field (the config's entry syntax)
/// instead of stopping at the first. Validation and creation share it, so they cannot disagree.
/// </summary>
internal sealed class SettingsReader
{
    public List<PluginSettingError> Errors { get; } = [];

    public void Add(string field, string message) => Errors.Add(new PluginSettingError(field, message));

    public static string Child(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    /// <summary>True when <paramref name="value"/> is an object whose keys are all in <paramref name="known"/>; reports otherwise.</summary>
    public bool Object(JsonElement value, string field, params string[] known)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            Add(field, $"expected a mapping of {string.Join(", ", known)}, found {Describe(value)}");
            return false;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (Array.IndexOf(known, property.Name) < 0)
            {
                Add(Child(field, property.Name), $"unknown key '{property.Name}'; expected one of: {string.Join(", ", known)}");
            }
        }

        return true;
    }

    public static bool TryGet(JsonElement obj, string key, out JsonElement value)
    {
        value = default;
        return obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public string[]? StringList(JsonElement obj, string key, string field)
    {
        if (!TryGet(obj, key, out var value))
        {
            return null;
        }

        field = Child(field, key);
        if (value.ValueKind != JsonValueKind.Array)
        {
            Add(field, $"expected a list of strings, found {Describe(value)}");
            return null;
        }

        var result = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } text)
            {
                result.Add(text);
            }
            else
            {
                Add($"{field}[{i}]", $"expected a non-empty string, found {Describe(item)}");
            }

            i++;
        }

        return [.. result];
    }

    /// <summary>A mapping of names to strings (header name → value), in document order.</summary>
    public KeyValuePair<string, string>[]? StringMap(JsonElement obj, string key, string field)
    {
        if (!TryGet(obj, key, out var value))
        {
            return null;
        }

        field = Child(field, key);
        if (value.ValueKind != JsonValueKind.Object)
        {
            Add(field, $"expected a mapping of names to strings, found {Describe(value)}");
            return null;
        }

        var result = new List<KeyValuePair<string, string>>();
        foreach (var property in value.EnumerateObject())
        {
            // Numbers and booleans are accepted as their text: YAML types `X-Version: 2` as a number.
            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => null,
            };
            if (text is null)
            {
                Add($"{field}[{property.Name}]", $"expected a string, found {Describe(property.Value)}");
                continue;
            }

            result.Add(new(property.Name, text));
        }

        return [.. result];
    }

    public bool? Bool(JsonElement obj, string key, string field)
    {
        if (!TryGet(obj, key, out var value))
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Add(Child(field, key), $"expected true or false, found {Describe(value)}");
        return null;
    }

    public int? Int(JsonElement obj, string key, string field, int min, int max)
    {
        if (!TryGet(obj, key, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max)
        {
            return number;
        }

        Add(Child(field, key), $"expected a whole number from {min} to {max}, found {Describe(value)}");
        return null;
    }

    public string? String(JsonElement obj, string key, string field)
    {
        if (!TryGet(obj, key, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        Add(Child(field, key), $"expected a string, found {Describe(value)}");
        return null;
    }

    /// <summary>RFC 9110 §5.6.2 token: what a method or header name may consist of.</summary>
    public static bool IsToken(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !"!#$%&'*+-.^_`|~".Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A header value must not contain CR, LF or NUL (response splitting).</summary>
    public static bool IsSafeValue(string value) => value.AsSpan().IndexOfAny('\r', '\n', '\0') < 0;

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the text \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };
}
