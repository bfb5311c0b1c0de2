using System.Text;
using System.Text.Json;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>Protobuf → JSON.</summary>
/// <remarks>
/// Fields are written in declaration order under their json names. A field without presence (a proto3 scalar outside a
/// oneof and not <c>optional</c>) is left out at its default value, as are empty repeated fields and maps; a message
/// field, a oneof member or an <c>optional</c> field is written when it is on the wire. 64-bit integers are strings,
/// enums names (numbers when the value is not declared), bytes standard base64. Repeated occurrences of a message field
/// are merged (the concatenation of their bytes is the merged message), of a scalar the last one wins, of a map key
/// the last entry. Unknown fields are skipped.
/// </remarks>
internal sealed partial class ProtoJsonCodec
{
    /// <inheritdoc/>
    public void Decode(MessageDescriptor type, ReadOnlyMemory<byte> message, Utf8JsonWriter writer)
        => WriteMessageJson(type, message, writer);

    private void WriteMessageJson(MessageDescriptor type, ReadOnlyMemory<byte> message, Utf8JsonWriter writer)
    {
        if (WellKnown.Of(type) != WellKnownKind.None)
        {
            WriteWellKnownJson(type, message, writer);
            return;
        }

        writer.WriteStartObject();
        WriteFieldsJson(type, message, writer);
        writer.WriteEndObject();
    }

    /// <summary>The fields of a message as properties of an object the caller opened.</summary>
    private void WriteFieldsJson(MessageDescriptor type, ReadOnlyMemory<byte> message, Utf8JsonWriter writer)
    {
        var fields = type.Fields.InDeclarationOrder();
        var values = Collect(type, message);
        for (var i = 0; i < fields.Count; i++)
        {
            if (values[i] is { } found)
            {
                WriteFieldJson(fields[i], found, writer);
            }
        }
    }

    /// <summary>Every value on the wire, per field (by declaration index); null where a field is absent.</summary>
    private static List<RawValue>?[] Collect(MessageDescriptor type, ReadOnlyMemory<byte> message)
    {
        var values = new List<RawValue>?[type.Fields.InDeclarationOrder().Count];
        var reader = new ProtoReader(message);
        while (reader.TryReadField(out var number, out var value))
        {
            if (type.FindFieldByNumber(number) is not { } field || value.Type is WireType.StartGroup or WireType.EndGroup)
            {
                continue;
            }

            if (field.RealContainingOneof is { } oneof)
            {
                // The last member of a oneof on the wire is the one set.
                foreach (var member in oneof.Fields)
                {
                    if (member != field)
                    {
                        values[member.Index] = null;
                    }
                }
            }

            (values[field.Index] ??= []).Add(value);
        }

        return values;
    }

    private void WriteFieldJson(FieldDescriptor field, List<RawValue> values, Utf8JsonWriter writer)
    {
        if (field.IsMap)
        {
            WriteMapJson(field, values, writer);
            return;
        }

        if (field.IsRepeated)
        {
            writer.WritePropertyName(field.JsonName);
            writer.WriteStartArray();
            foreach (var value in values)
            {
                if (value.Type == WireType.LengthDelimited && IsPackable(field.FieldType))
                {
                    var packed = new ProtoReader(value.Bytes);
                    while (!packed.End)
                    {
                        WriteScalarJson(field, ReadPacked(ref packed, field.FieldType), writer);
                    }
                }
                else
                {
                    WriteValueJson(field, value, writer);
                }
            }

            writer.WriteEndArray();
            return;
        }

        if (field.FieldType == FieldType.Message)
        {
            writer.WritePropertyName(field.JsonName);
            WriteMessageJson(field.MessageType, Merge(values), writer);
            return;
        }

        var last = values[^1];
        if (!field.HasPresence && IsDefault(field.FieldType, last))
        {
            return;
        }

        writer.WritePropertyName(field.JsonName);
        WriteScalarJson(field, last, writer);
    }

    private void WriteMapJson(FieldDescriptor field, List<RawValue> entries, Utf8JsonWriter writer)
    {
        var keyField = field.MessageType.FindFieldByNumber(1);
        var valueField = field.MessageType.FindFieldByNumber(2);
        var map = new List<(string Key, RawValue? Value)>(entries.Count);
        foreach (var entry in entries)
        {
            RawValue? key = null;
            RawValue? value = null;
            var reader = new ProtoReader(entry.Bytes);
            while (reader.TryReadField(out var number, out var part))
            {
                if (number == 1)
                {
                    key = part;
                }
                else if (number == 2)
                {
                    value = part;
                }
            }

            var text = MapKeyText(keyField, key ?? DefaultRaw(keyField.FieldType));
            var index = map.FindIndex(e => e.Key == text);
            if (index >= 0)
            {
                map[index] = (text, value);
            }
            else
            {
                map.Add((text, value));
            }
        }

        writer.WritePropertyName(field.JsonName);
        writer.WriteStartObject();
        foreach (var (key, value) in map)
        {
            writer.WritePropertyName(key);
            if (value is { } present)
            {
                WriteValueJson(valueField, present, writer);
            }
            else if (valueField.FieldType == FieldType.Message)
            {
                WriteMessageJson(valueField.MessageType, ReadOnlyMemory<byte>.Empty, writer);
            }
            else
            {
                WriteScalarJson(valueField, DefaultRaw(valueField.FieldType), writer);
            }
        }

        writer.WriteEndObject();
    }

    private void WriteValueJson(FieldDescriptor field, RawValue value, Utf8JsonWriter writer)
    {
        if (field.FieldType == FieldType.Message)
        {
            WriteMessageJson(field.MessageType, value.Bytes, writer);
        }
        else
        {
            WriteScalarJson(field, value, writer);
        }
    }

    private static void WriteScalarJson(FieldDescriptor field, RawValue value, Utf8JsonWriter writer)
    {
        var n = value.Number;
        switch (field.FieldType)
        {
            case FieldType.Double:
                WriteDouble(BitConverter.Int64BitsToDouble((long)n), writer);
                break;
            case FieldType.Float:
                var single = BitConverter.Int32BitsToSingle((int)(uint)n);
                if (float.IsFinite(single))
                {
                    writer.WriteNumberValue(single);
                }
                else
                {
                    WriteDouble(single, writer);
                }

                break;
            case FieldType.Int64 or FieldType.SFixed64:
                writer.WriteStringValue(((long)n).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case FieldType.SInt64:
                writer.WriteStringValue(ProtoWriter.UnZigZag(n).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case FieldType.UInt64 or FieldType.Fixed64:
                writer.WriteStringValue(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case FieldType.Int32 or FieldType.SFixed32:
                writer.WriteNumberValue((int)n);
                break;
            case FieldType.SInt32:
                writer.WriteNumberValue((int)ProtoWriter.UnZigZag((uint)n));
                break;
            case FieldType.UInt32 or FieldType.Fixed32:
                writer.WriteNumberValue((uint)n);
                break;
            case FieldType.Bool:
                writer.WriteBooleanValue(n != 0);
                break;
            case FieldType.String:
                writer.WriteStringValue(Encoding.UTF8.GetString(value.Bytes.Span));
                break;
            case FieldType.Bytes:
                writer.WriteBase64StringValue(value.Bytes.Span);
                break;
            case FieldType.Enum:
                WriteEnumJson(field.EnumType, (int)n, writer);
                break;
        }
    }

    private static void WriteEnumJson(EnumDescriptor type, int number, Utf8JsonWriter writer)
    {
        if (type.FullName == WellKnown.NullValue)
        {
            writer.WriteNullValue();
        }
        else if (type.FindValueByNumber(number) is { } known)
        {
            writer.WriteStringValue(known.Name);
        }
        else
        {
            writer.WriteNumberValue(number);
        }
    }

    private static void WriteDouble(double value, Utf8JsonWriter writer)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static string MapKeyText(FieldDescriptor keyField, RawValue key)
    {
        var n = key.Number;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return keyField.FieldType switch
        {
            FieldType.String => Encoding.UTF8.GetString(key.Bytes.Span),
            FieldType.Bool => n != 0 ? "true" : "false",
            FieldType.Int32 or FieldType.SFixed32 => ((int)n).ToString(invariant),
            FieldType.Int64 or FieldType.SFixed64 => ((long)n).ToString(invariant),
            FieldType.SInt32 or FieldType.SInt64 => ProtoWriter.UnZigZag(n).ToString(invariant),
            FieldType.UInt32 or FieldType.Fixed32 => ((uint)n).ToString(invariant),
            _ => n.ToString(invariant),
        };
    }

    private static RawValue ReadPacked(ref ProtoReader reader, FieldType type) => WireTypeOf(type) switch
    {
        WireType.Fixed32 => new RawValue(WireType.Fixed32, reader.Fixed32(), default),
        WireType.Fixed64 => new RawValue(WireType.Fixed64, reader.Fixed64(), default),
        _ => new RawValue(WireType.Varint, reader.Varint(), default),
    };

    private static bool IsDefault(FieldType type, RawValue value) => type switch
    {
        FieldType.String or FieldType.Bytes => value.Bytes.IsEmpty,
        // -0.0 is not the default (its bits are not zero), as in the reference implementations.
        _ => value.Number == 0,
    };

    private static RawValue DefaultRaw(FieldType type) => new(WireTypeOf(type), 0, ReadOnlyMemory<byte>.Empty);

    /// <summary>Occurrences of one message field merged: parsing the concatenation merges them (encoding guide, "Last one wins").</summary>
    private static ReadOnlyMemory<byte> Merge(List<RawValue> values)
    {
        if (values.Count == 1)
        {
            return values[0].Bytes;
        }

        var total = 0;
        foreach (var value in values)
        {
            total += value.Bytes.Length;
        }

        var merged = new byte[total];
        var offset = 0;
        foreach (var value in values)
        {
            value.Bytes.Span.CopyTo(merged.AsSpan(offset));
            offset += value.Bytes.Length;
        }

        return merged;
    }
}
