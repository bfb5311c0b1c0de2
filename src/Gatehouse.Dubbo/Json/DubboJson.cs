using System.Globalization;
using System.Text.Json;
using Gatehouse.Dubbo.Hessian;

namespace Gatehouse.Dubbo.Json;

/// <summary>Converts JSON arguments to hessian2 values for declared Java types, and hessian2 results to JSON.</summary>
/// <remarks>
/// Arguments: strings, boxed and primitive numbers, booleans, <c>java.util.Date</c> (ISO 8601 or epoch ms), byte
/// arrays (base64), arrays (typed lists), collections (untyped lists), maps (untyped maps of the JSON object's
/// fields), <c>java.lang.Object</c> (inferred from the JSON), and any other class as an object of that class with
/// the JSON object's fields (nested values inferred). Results: maps and objects become JSON objects (an object's
/// class name is dropped), lists arrays, binary base64, dates ISO 8601 UTC strings.
/// </remarks>
public static class DubboJson
{
    /// <summary>The hessian2 value to send for <paramref name="json"/> as a parameter of type <paramref name="javaType"/>.</summary>
    /// <exception cref="FormatException">The JSON value does not fit the type (the message says why).</exception>
    public static object? ToArgument(JsonElement json, string javaType)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return IsPrimitive(javaType)
                ? throw new FormatException($"null is not a value of the primitive type {javaType}")
                : null;
        }

        switch (javaType)
        {
            case "java.lang.String" or "java.lang.CharSequence":
                return json.ValueKind == JsonValueKind.String ? json.GetString() : json.GetRawText();
            case "int" or "java.lang.Integer" or "short" or "java.lang.Short" or "byte" or "java.lang.Byte":
                return ReadInt(json, javaType);
            case "long" or "java.lang.Long":
                return ReadLong(json, javaType);
            case "double" or "java.lang.Double" or "float" or "java.lang.Float" or "java.math.BigDecimal":
                return ReadDouble(json, javaType);
            case "boolean" or "java.lang.Boolean":
                return json.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String when bool.TryParse(json.GetString(), out var b) => b,
                    _ => throw Mismatch(json, javaType),
                };
            case "char" or "java.lang.Character":
                return json.ValueKind == JsonValueKind.String && json.GetString()!.Length == 1 ? json.GetString() : throw Mismatch(json, javaType);
            case "java.util.Date":
                return ReadDate(json, javaType);
            case "byte[]":
                return json.ValueKind == JsonValueKind.String && json.TryGetBytesFromBase64(out var bytes) ? bytes : throw Mismatch(json, javaType);
            case "java.lang.Object":
                return Infer(json);
        }

        if (javaType.EndsWith("[]", StringComparison.Ordinal))
        {
            var element = javaType[..^2];
            var array = new HessianList("[" + ArrayElementType(element));
            foreach (var item in ExpectArray(json, javaType))
            {
                array.Items.Add(ToArgument(item, element));
            }

            return array;
        }

        if (IsCollection(javaType))
        {
            var list = new HessianList();
            foreach (var item in ExpectArray(json, javaType))
            {
                list.Items.Add(Infer(item));
            }

            return list;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            throw Mismatch(json, javaType);
        }

        if (IsMap(javaType))
        {
            return InferMap(json);
        }

        var value = new HessianObject(javaType);
        foreach (var property in json.EnumerateObject())
        {
            value.Fields.Add(new(property.Name, Infer(property.Value)));
        }

        return value;
    }

    /// <summary>A hessian2 value for JSON without a declared type: numbers become int, long or double as they fit.</summary>
    public static object? Infer(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => json.GetString(),
        JsonValueKind.Number when json.TryGetInt32(out var i) => i,
        JsonValueKind.Number when json.TryGetInt64(out var l) => l,
        JsonValueKind.Number => json.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => InferList(json),
        JsonValueKind.Object => InferMap(json),
        _ => null,
    };

    /// <summary>Writes a hessian2 value as JSON.</summary>
    public static void WriteJson(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            // JSON has no NaN or infinity; Jackson's default writes them as strings too.
            case double d: writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture)); break;
            case string s: writer.WriteStringValue(s); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case DateTime date: writer.WriteStringValue(date.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)); break;
            case HessianList list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                {
                    WriteJson(writer, item);
                }

                writer.WriteEndArray();
                break;
            case HessianMap map:
                writer.WriteStartObject();
                foreach (var entry in map.Entries)
                {
                    writer.WritePropertyName(KeyText(entry.Key));
                    WriteJson(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case HessianObject obj:
                writer.WriteStartObject();
                foreach (var field in obj.Fields)
                {
                    writer.WritePropertyName(field.Key);
                    WriteJson(writer, field.Value);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static bool IsPrimitive(string type)
        => type is "int" or "long" or "double" or "float" or "boolean" or "byte" or "short" or "char";

    private static bool IsCollection(string type) => type is "java.util.List" or "java.util.ArrayList" or "java.util.LinkedList"
        or "java.util.Collection" or "java.util.Set" or "java.util.HashSet" or "java.util.LinkedHashSet" or "java.lang.Iterable";

    private static bool IsMap(string type) => type is "java.util.Map" or "java.util.HashMap" or "java.util.LinkedHashMap"
        or "java.util.TreeMap" or "java.util.concurrent.ConcurrentHashMap";

    /// <summary>The type Caucho writes for arrays: <c>[int</c>, <c>[string</c>, <c>[object</c>, or <c>[</c> + class name.</summary>
    private static string ArrayElementType(string element) => element switch
    {
        "java.lang.String" => "string",
        "java.lang.Object" => "object",
        "java.lang.Integer" => "int",
        "java.lang.Long" => "long",
        "java.lang.Double" => "double",
        "java.lang.Boolean" => "boolean",
        _ => element,
    };

    private static HessianList InferList(JsonElement json)
    {
        var list = new HessianList();
        foreach (var item in json.EnumerateArray())
        {
            list.Items.Add(Infer(item));
        }

        return list;
    }

    private static HessianMap InferMap(JsonElement json)
    {
        var map = new HessianMap();
        foreach (var property in json.EnumerateObject())
        {
            map.Entries.Add(new(property.Name, Infer(property.Value)));
        }

        return map;
    }

    private static JsonElement.ArrayEnumerator ExpectArray(JsonElement json, string javaType)
        => json.ValueKind == JsonValueKind.Array ? json.EnumerateArray() : throw Mismatch(json, javaType);

    private static int ReadInt(JsonElement json, string javaType)
    {
        if (json.ValueKind == JsonValueKind.Number && json.TryGetInt32(out var i))
        {
            return i;
        }

        if (json.ValueKind == JsonValueKind.String && int.TryParse(json.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out i))
        {
            return i;
        }

        throw Mismatch(json, javaType);
    }

    private static long ReadLong(JsonElement json, string javaType)
    {
        if (json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out var l))
        {
            return l;
        }

        if (json.ValueKind == JsonValueKind.String && long.TryParse(json.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out l))
        {
            return l;
        }

        throw Mismatch(json, javaType);
    }

    private static double ReadDouble(JsonElement json, string javaType)
    {
        if (json.ValueKind == JsonValueKind.Number)
        {
            return json.GetDouble();
        }

        if (json.ValueKind == JsonValueKind.String && double.TryParse(json.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        throw Mismatch(json, javaType);
    }

    private static DateTime ReadDate(JsonElement json, string javaType)
    {
        if (json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out var ms))
        {
            return DateTime.UnixEpoch.AddMilliseconds(ms);
        }

        if (json.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(json.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed.UtcDateTime;
        }

        throw Mismatch(json, javaType);
    }

    private static string KeyText(object? key) => key switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        _ => Convert.ToString(key, CultureInfo.InvariantCulture) ?? "",
    };

    private static FormatException Mismatch(JsonElement json, string javaType)
        => new($"a JSON {json.ValueKind.ToString().ToLowerInvariant()} is not a value of {javaType}");
}
