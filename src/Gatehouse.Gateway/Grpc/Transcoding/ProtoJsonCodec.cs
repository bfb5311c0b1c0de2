using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// The descriptor-driven proto3 JSON codec (<see href="https://protobuf.dev/programming-guides/json/"/>): JSON → protobuf
/// here, protobuf → JSON in <c>.Decode</c>, the well-known types in <c>.WellKnown</c>.
/// </summary>
/// <remarks>
/// Input accepts what the mapping allows: lowerCamelCase json names and the original field names; 64-bit integers as
/// strings or numbers, any integer as a string; enums by name or number; bytes as standard or URL-safe base64, padded
/// or not; <c>null</c> as "not set" (except for <c>google.protobuf.Value</c>). An unknown field, a second member of one
/// oneof, or a value of the wrong kind is a <see cref="FormatException"/> naming the field's path.
/// </remarks>
internal sealed partial class ProtoJsonCodec(Func<string, MessageDescriptor?>? resolveType = null) : IProtoJsonCodec
{
    private readonly ConcurrentDictionary<MessageDescriptor, Dictionary<string, FieldDescriptor>> _fieldsByName = new();

    /// <summary>Finds a message type by full name, for <c>google.protobuf.Any</c>.</summary>
    private readonly Func<string, MessageDescriptor?> _resolveType = resolveType ?? (_ => null);

    /// <inheritdoc/>
    public byte[] Encode(MessageDescriptor type, JsonNode? json)
    {
        var writer = new ProtoWriter();
        WriteMessage(type, json ?? new JsonObject(), writer, "");
        return writer.Written.ToArray();
    }

    /// <summary>The field a JSON key names: its json name first, then its proto name.</summary>
    internal FieldDescriptor? FindField(MessageDescriptor type, string name)
    {
        var fields = _fieldsByName.GetOrAdd(type, static t =>
        {
            var map = new Dictionary<string, FieldDescriptor>(StringComparer.Ordinal);
            foreach (var field in t.Fields.InDeclarationOrder())
            {
                map.TryAdd(field.JsonName, field);
            }

            foreach (var field in t.Fields.InDeclarationOrder())
            {
                map.TryAdd(field.Name, field);
            }

            return map;
        });
        return fields.GetValueOrDefault(name);
    }

    private void WriteMessage(MessageDescriptor type, JsonNode json, ProtoWriter writer, string path)
    {
        if (WellKnown.Of(type) != WellKnownKind.None)
        {
            WriteWellKnown(type, json, writer, path);
            return;
        }

        if (json is not JsonObject obj)
        {
            throw Mismatch(path, "an object", json);
        }

        List<OneofDescriptor>? oneofs = null;
        foreach (var (key, value) in obj)
        {
            var field = FindField(type, key) ?? throw new FormatException($"{Join(path, key)}: {type.FullName} has no field '{key}'");
            var fieldPath = Join(path, key);
            if (value is null && !IsValueType(field))
            {
                continue;
            }

            if (field.RealContainingOneof is { } oneof)
            {
                oneofs ??= [];
                if (oneofs.Contains(oneof))
                {
                    throw new FormatException($"{fieldPath}: another member of oneof '{oneof.Name}' is set already");
                }

                oneofs.Add(oneof);
            }

            WriteField(field, value, writer, fieldPath);
        }
    }

    /// <summary>Writes one field of a message: a map, a repeated field or a single value.</summary>
    internal void WriteField(FieldDescriptor field, JsonNode? value, ProtoWriter writer, string path)
    {
        if (field.IsMap)
        {
            if (value is not JsonObject map)
            {
                throw Mismatch(path, "an object (a map)", value);
            }

            var keyField = field.MessageType.FindFieldByNumber(1);
            var valueField = field.MessageType.FindFieldByNumber(2);
            foreach (var (key, item) in map)
            {
                var entry = new ProtoWriter();
                WriteMapKey(keyField, key, entry, $"{path}[{key}]");
                if (item is null && !IsValueType(valueField))
                {
                    throw new FormatException($"{path}[{key}]: a map value cannot be null");
                }

                WriteSingle(valueField, item, entry, $"{path}[{key}]");
                writer.Tag(field.FieldNumber, WireType.LengthDelimited);
                writer.Bytes(entry.Written);
            }

            return;
        }

        if (field.IsRepeated)
        {
            if (value is not JsonArray array)
            {
                throw Mismatch(path, "an array", value);
            }

            var packed = field.IsPacked && IsPackable(field.FieldType);
            var packedWriter = packed ? new ProtoWriter() : null;
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is null && !IsValueType(field))
                {
                    throw new FormatException($"{path}[{i}]: an array element cannot be null");
                }

                if (packedWriter is not null)
                {
                    WriteScalarValue(field, array[i]!, packedWriter, $"{path}[{i}]");
                }
                else
                {
                    WriteSingle(field, array[i], writer, $"{path}[{i}]");
                }
            }

            if (packedWriter is { Length: > 0 })
            {
                writer.Tag(field.FieldNumber, WireType.LengthDelimited);
                writer.Bytes(packedWriter.Written);
            }

            return;
        }

        WriteSingle(field, value, writer, path);
    }

    /// <summary>One value with its tag.</summary>
    private void WriteSingle(FieldDescriptor field, JsonNode? value, ProtoWriter writer, string path)
    {
        switch (field.FieldType)
        {
            case FieldType.Message:
                var nested = new ProtoWriter();
                if (value is null)
                {
                    // Only google.protobuf.Value takes null (as its null_value); every other null was skipped.
                    nested.Tag(1, WireType.Varint);
                    nested.Varint(0);
                }
                else
                {
                    WriteMessage(field.MessageType, value, nested, path);
                }

                writer.Tag(field.FieldNumber, WireType.LengthDelimited);
                writer.Bytes(nested.Written);
                return;
            case FieldType.Group:
                throw new FormatException($"{path}: proto2 groups are not supported");
            default:
                writer.Tag(field.FieldNumber, WireTypeOf(field.FieldType));
                WriteScalarValue(field, value!, writer, path);
                return;
        }
    }

    /// <summary>A scalar or enum value without its tag (also the elements of a packed field).</summary>
    private static void WriteScalarValue(FieldDescriptor field, JsonNode value, ProtoWriter writer, string path)
    {
        switch (field.FieldType)
        {
            case FieldType.Double:
                writer.Fixed64((ulong)BitConverter.DoubleToInt64Bits(ReadDouble(value, path, single: false)));
                break;
            case FieldType.Float:
                writer.Fixed32((uint)BitConverter.SingleToInt32Bits((float)ReadDouble(value, path, single: true)));
                break;
            case FieldType.Int64:
                writer.Varint((ulong)ReadInteger(value, path, long.MinValue, long.MaxValue));
                break;
            case FieldType.SFixed64:
                writer.Fixed64((ulong)ReadInteger(value, path, long.MinValue, long.MaxValue));
                break;
            case FieldType.SInt64:
                writer.Varint(ProtoWriter.ZigZag(ReadInteger(value, path, long.MinValue, long.MaxValue)));
                break;
            case FieldType.UInt64:
                writer.Varint(ReadUInt64(value, path));
                break;
            case FieldType.Fixed64:
                writer.Fixed64(ReadUInt64(value, path));
                break;
            case FieldType.Int32:
                writer.Varint((ulong)ReadInteger(value, path, int.MinValue, int.MaxValue));
                break;
            case FieldType.SInt32:
                writer.Varint(ProtoWriter.ZigZag(ReadInteger(value, path, int.MinValue, int.MaxValue)));
                break;
            case FieldType.SFixed32:
                writer.Fixed32((uint)(int)ReadInteger(value, path, int.MinValue, int.MaxValue));
                break;
            case FieldType.UInt32:
                writer.Varint((ulong)ReadInteger(value, path, 0, uint.MaxValue));
                break;
            case FieldType.Fixed32:
                writer.Fixed32((uint)ReadInteger(value, path, 0, uint.MaxValue));
                break;
            case FieldType.Bool:
                writer.Varint(ReadBool(value, path) ? 1UL : 0UL);
                break;
            case FieldType.String:
                writer.String(ReadString(value, path));
                break;
            case FieldType.Bytes:
                writer.Bytes(ReadBytes(value, path));
                break;
            case FieldType.Enum:
                writer.Varint((ulong)ReadEnum(field.EnumType, value, path));
                break;
            default:
                throw new FormatException($"{path}: field type {field.FieldType} is not a scalar");
        }
    }

    private static void WriteMapKey(FieldDescriptor keyField, string key, ProtoWriter writer, string path)
    {
        writer.Tag(1, WireTypeOf(keyField.FieldType));
        JsonNode text = keyField.FieldType == FieldType.Bool
            ? key switch
            {
                "true" => JsonValue.Create(true),
                "false" => JsonValue.Create(false),
                _ => throw new FormatException($"{path}: a bool map key is \"true\" or \"false\""),
            }
            : JsonValue.Create(key);
        WriteScalarValue(keyField, text, writer, path);
    }

    private static bool IsValueType(FieldDescriptor field)
        => field.FieldType == FieldType.Message && field.MessageType.FullName == WellKnown.Value;

    private static bool IsPackable(FieldType type) => type is not (FieldType.String or FieldType.Bytes or FieldType.Message or FieldType.Group);

    internal static WireType WireTypeOf(FieldType type) => type switch
    {
        FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => WireType.Fixed64,
        FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => WireType.Fixed32,
        FieldType.String or FieldType.Bytes or FieldType.Message => WireType.LengthDelimited,
        FieldType.Group => WireType.StartGroup,
        _ => WireType.Varint,
    };

    internal static double ReadDouble(JsonNode value, string path, bool single)
    {
        var (text, isString) = NumberText(value, path, "a number");
        double result;
        if (isString && text is "NaN" or "Infinity" or "-Infinity")
        {
            result = text == "NaN" ? double.NaN : text == "Infinity" ? double.PositiveInfinity : double.NegativeInfinity;
        }
        else if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out result) || double.IsInfinity(result))
        {
            throw new FormatException($"{path}: '{text}' is not a number");
        }

        if (single && double.IsFinite(result) && Math.Abs(result) > float.MaxValue)
        {
            throw new FormatException($"{path}: {text} is out of range for a float");
        }

        return result;
    }

    internal static long ReadInteger(JsonNode value, string path, long min, long max)
    {
        var (text, _) = NumberText(value, path, "an integer");
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result))
        {
            // 1e3 and 5.0 are integers too in JSON's eyes.
            if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var number) || number != decimal.Truncate(number) || number < min || number > max)
            {
                throw new FormatException($"{path}: '{text}' is not an integer in [{min}, {max}]");
            }

            return (long)number;
        }

        return result >= min && result <= max ? result : throw new FormatException($"{path}: {text} is out of range [{min}, {max}]");
    }

    private static ulong ReadUInt64(JsonNode value, string path)
    {
        var (text, _) = NumberText(value, path, "an unsigned integer");
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var result))
        {
            return result;
        }

        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number)
            && number == decimal.Truncate(number) && number <= ulong.MaxValue)
        {
            return (ulong)number;
        }

        throw new FormatException($"{path}: '{text}' is not an unsigned 64-bit integer");
    }

    private static bool ReadBool(JsonNode value, string path)
        => value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Mismatch(path, "true or false", value),
        };

    internal static string ReadString(JsonNode value, string path)
        => value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Mismatch(path, "a string", value);

    internal static byte[] ReadBytes(JsonNode value, string path)
    {
        var text = ReadString(value, path).Replace('-', '+').Replace('_', '/');
        if (text.Length % 4 != 0)
        {
            text = text.PadRight(text.Length + 4 - (text.Length % 4), '=');
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new FormatException($"{path}: the bytes are not base64");
        }
    }

    private static int ReadEnum(EnumDescriptor type, JsonNode value, string path)
    {
        if (value.GetValueKind() == JsonValueKind.String)
        {
            var name = value.GetValue<string>();
            return type.FindValueByName(name)?.Number
                ?? throw new FormatException($"{path}: '{name}' is not a value of enum {type.FullName}");
        }

        return (int)ReadInteger(value, path, int.MinValue, int.MaxValue);
    }

    /// <summary>The text of a JSON number, or of a string standing for one (the mapping accepts both).</summary>
    private static (string Text, bool IsString) NumberText(JsonNode value, string path, string expected) => value.GetValueKind() switch
    {
        JsonValueKind.Number => (value.ToJsonString(), false),
        JsonValueKind.String => (value.GetValue<string>(), true),
        _ => throw Mismatch(path, expected, value),
    };

    internal static FormatException Mismatch(string path, string expected, JsonNode? found)
    {
        var kind = found is null ? "null" : found.GetValueKind() switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => $"the string {found.ToJsonString()}",
            JsonValueKind.Number => $"the number {found.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => found.ToJsonString(),
            _ => "null",
        };
        return new FormatException($"{(path.Length == 0 ? "the message" : path)}: expected {expected}, found {kind}");
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
