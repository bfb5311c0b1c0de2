using System.Globalization;
using System.Text.Json;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Schema;

namespace Gatehouse.Tars.Json;

/// <summary>Converts JSON values to Tars values of a declared type and back.</summary>
/// <remarks>
/// Numbers to the integer types (range-checked; a string of digits is accepted) and to float/double; bool from
/// true/false; <c>vector&lt;byte&gt;</c> from and to base64; vectors from and to arrays; maps from and to objects
/// (keys as text, numeric key types parsed); structs from and to objects by field name. A struct field missing from
/// the JSON (or null) is written with its type's default, as Tars' generated code writes every field; a property
/// the struct does not declare is an error, so a misspelled field is not silently dropped. Decoding writes every
/// declared field, a missing one with its default, and skips unknown tags (a newer server may add fields).
/// </remarks>
public static partial class TarsJson
{
    /// <summary>Encodes <paramref name="json"/> as a value of <paramref name="type"/> at <paramref name="tag"/>.</summary>
    /// <exception cref="FormatException">The JSON value does not fit the type (the message says why and where).</exception>
    public static void Write(TarsWriter writer, int tag, JsonElement json, TarsType type)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(type);
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            WriteDefault(writer, tag, type);
            return;
        }

        switch (type.Kind)
        {
            case TarsTypeKind.Bool:
                writer.WriteBool(tag, json.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String when bool.TryParse(json.GetString(), out var b) => b,
                    _ => throw Mismatch(json, type),
                });
                break;
            case TarsTypeKind.Byte:
                writer.WriteInt8(tag, (sbyte)Integer(json, type, sbyte.MinValue, sbyte.MaxValue));
                break;
            case TarsTypeKind.Short:
                writer.WriteInt16(tag, (short)Integer(json, type, short.MinValue, short.MaxValue));
                break;
            case TarsTypeKind.Int:
                writer.WriteInt32(tag, (int)Integer(json, type, int.MinValue, int.MaxValue));
                break;
            case TarsTypeKind.Long:
                writer.WriteInt64(tag, Integer(json, type, long.MinValue, long.MaxValue));
                break;
            case TarsTypeKind.Float:
                writer.WriteFloat(tag, (float)Floating(json, type));
                break;
            case TarsTypeKind.Double:
                writer.WriteDouble(tag, Floating(json, type));
                break;
            case TarsTypeKind.String:
                writer.WriteString(tag, json.ValueKind == JsonValueKind.String ? json.GetString()! : json.GetRawText());
                break;
            case TarsTypeKind.Bytes:
                writer.WriteBytes(tag, json.ValueKind == JsonValueKind.String && json.TryGetBytesFromBase64(out var bytes)
                    ? bytes
                    : throw new FormatException($"{type.Name} takes a base64 string, not {Describe(json)}"));
                break;
            case TarsTypeKind.Vector:
                if (json.ValueKind != JsonValueKind.Array)
                {
                    throw Mismatch(json, type);
                }

                writer.BeginList(tag, json.GetArrayLength());
                var index = 0;
                foreach (var item in json.EnumerateArray())
                {
                    try
                    {
                        Write(writer, 0, item, type.Element!);
                    }
                    catch (FormatException e) when (e is not TarsFormatException)
                    {
                        throw Prefixed(e, $"[{index}]");
                    }

                    index++;
                }

                break;
            case TarsTypeKind.Map:
                if (json.ValueKind != JsonValueKind.Object)
                {
                    throw Mismatch(json, type);
                }

                var count = 0;
                foreach (var _ in json.EnumerateObject())
                {
                    count++;
                }

                writer.BeginMap(tag, count);
                foreach (var property in json.EnumerateObject())
                {
                    try
                    {
                        WriteKey(writer, property.Name, type.Key!);
                        Write(writer, 1, property.Value, type.Element!);
                    }
                    catch (FormatException e) when (e is not TarsFormatException)
                    {
                        throw Prefixed(e, $"[\"{property.Name}\"]");
                    }
                }

                break;
            case TarsTypeKind.Struct:
                WriteStruct(writer, tag, json, type);
                break;
        }
    }

    private static void WriteStruct(TarsWriter writer, int tag, JsonElement json, TarsType type)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw Mismatch(json, type);
        }

        var definition = type.Struct ?? throw new InvalidOperationException($"struct {type.Name} is not bound");
        foreach (var property in json.EnumerateObject())
        {
            if (FieldOf(definition, property.Name) is null)
            {
                throw new FormatException($"{type.Name} has no field '{property.Name}'");
            }
        }

        writer.BeginStruct(tag);
        foreach (var field in definition.Fields)
        {
            if (json.TryGetProperty(field.Name, out var value))
            {
                try
                {
                    Write(writer, field.Tag, value, field.Type);
                }
                catch (FormatException e) when (e is not TarsFormatException)
                {
                    throw Prefixed(e, "." + field.Name);
                }
            }
            else
            {
                WriteDefault(writer, field.Tag, field.Type);
            }
        }

        writer.EndStruct();
    }

    private static void WriteKey(TarsWriter writer, string key, TarsType type)
    {
        if (type.Kind == TarsTypeKind.String)
        {
            writer.WriteString(0, key);
            return;
        }

        // Keys of other types arrive as JSON object keys (text): read them as the JSON they spell.
        using var document = JsonDocument.Parse(type.Kind == TarsTypeKind.Bool || IsNumeric(key) ? key : JsonSerializer.Serialize(key));
        Write(writer, 0, document.RootElement, type);
    }

    private static bool IsNumeric(string text)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>Writes the default value of <paramref name="type"/>: 0, false, "", an empty list or map, a struct of defaults.</summary>
    public static void WriteDefault(TarsWriter writer, int tag, TarsType type)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (type.Kind)
        {
            case TarsTypeKind.Bool or TarsTypeKind.Byte or TarsTypeKind.Short or TarsTypeKind.Int or TarsTypeKind.Long:
                writer.WriteInt8(tag, 0);
                break;
            case TarsTypeKind.Float:
                writer.WriteFloat(tag, 0);
                break;
            case TarsTypeKind.Double:
                writer.WriteDouble(tag, 0);
                break;
            case TarsTypeKind.String:
                writer.WriteString(tag, "");
                break;
            case TarsTypeKind.Bytes:
                writer.WriteBytes(tag, default);
                break;
            case TarsTypeKind.Vector:
                writer.BeginList(tag, 0);
                break;
            case TarsTypeKind.Map:
                writer.BeginMap(tag, 0);
                break;
            case TarsTypeKind.Struct:
                writer.BeginStruct(tag);
                foreach (var field in type.Struct!.Fields)
                {
                    WriteDefault(writer, field.Tag, field.Type);
                }

                writer.EndStruct();
                break;
        }
    }

    private static TarsField? FieldOf(TarsStruct definition, string name)
    {
        foreach (var field in definition.Fields)
        {
            if (field.Name == name)
            {
                return field;
            }
        }

        return null;
    }

    private static void Expect(TarsHeadType actual, TarsHeadType expected, TarsType type)
    {
        if (actual != expected)
        {
            throw new TarsFormatException($"expected {type.Name} ({expected}), found Tars type {actual}");
        }
    }

    private static long Integer(JsonElement json, TarsType type, long min, long max)
    {
        long value;
        if (json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out value))
        {
        }
        else if (json.ValueKind == JsonValueKind.String
                 && long.TryParse(json.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
        }
        else
        {
            throw Mismatch(json, type);
        }

        return value < min || value > max
            ? throw new FormatException($"{value} is outside the range of {type.Name} ({min} to {max})")
            : value;
    }

    private static double Floating(JsonElement json, TarsType type)
    {
        if (json.ValueKind == JsonValueKind.Number)
        {
            return json.GetDouble();
        }

        return json.ValueKind == JsonValueKind.String
               && double.TryParse(json.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Mismatch(json, type);
    }

    /// <summary>The error of a nested value with the step to it in front of its path (errors are rare: no cost otherwise).</summary>
    private static FormatException Prefixed(FormatException e, string step)
        => new(e.Message.StartsWith("at ", StringComparison.Ordinal) ? $"at {step}{e.Message[3..]}" : $"at {step}: {e.Message}", e);

    private static FormatException Mismatch(JsonElement json, TarsType type)
        => new($"{Describe(json)} is not a value of {type.Name}");

    private static string Describe(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => "a JSON string",
        JsonValueKind.Number => "a JSON number",
        JsonValueKind.Array => "a JSON array",
        JsonValueKind.Object => "a JSON object",
        JsonValueKind.True or JsonValueKind.False => "a JSON boolean",
        _ => "null",
    };
}
