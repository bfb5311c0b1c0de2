using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// The well-known types: Timestamp (RFC 3339, UTC, 0/3/6/9 fractional digits), Duration (<c>"1.5s"</c>), the wrappers
/// (the wrapped value), Struct/Value/ListValue (any JSON), Empty (<c>{}</c>), FieldMask (<c>"a.bC,d"</c>) and Any
/// (<c>{"@type": url, ...}</c>, the type looked up among the descriptor set's messages).
/// </summary>
internal sealed partial class ProtoJsonCodec
{
    private void WriteWellKnown(MessageDescriptor type, JsonNode json, ProtoWriter writer, string path)
    {
        switch (WellKnown.Of(type))
        {
            case WellKnownKind.Timestamp:
                var (seconds, nanos) = ProtoTime.ParseTimestamp(ReadString(json, path), path);
                WriteSecondsNanos(writer, seconds, nanos);
                break;
            case WellKnownKind.Duration:
                (seconds, nanos) = ProtoTime.ParseDuration(ReadString(json, path), path);
                WriteSecondsNanos(writer, seconds, nanos);
                break;
            case WellKnownKind.Wrapper:
                WriteField(type.FindFieldByNumber(1), json, writer, path);
                break;
            case WellKnownKind.Struct:
                WriteField(type.FindFieldByNumber(1), json is JsonObject ? json : throw Mismatch(path, "an object", json), writer, path);
                break;
            case WellKnownKind.ListValue:
                WriteField(type.FindFieldByNumber(1), json is JsonArray ? json : throw Mismatch(path, "an array", json), writer, path);
                break;
            case WellKnownKind.Value:
                WriteValue(type, json, writer, path);
                break;
            case WellKnownKind.Empty:
                if (json is not JsonObject { Count: 0 })
                {
                    throw Mismatch(path, "{}", json);
                }

                break;
            case WellKnownKind.FieldMask:
                foreach (var part in ReadString(json, path).Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    writer.Tag(1, WireType.LengthDelimited);
                    writer.String(ToSnakeCase(part.Trim()));
                }

                break;
            case WellKnownKind.Any:
                WriteAny(json, writer, path);
                break;
        }
    }

    private void WriteValue(MessageDescriptor type, JsonNode? json, ProtoWriter writer, string path)
    {
        switch (json?.GetValueKind() ?? JsonValueKind.Null)
        {
            case JsonValueKind.Null:
                writer.Tag(1, WireType.Varint);
                writer.Varint(0);
                break;
            case JsonValueKind.Number:
                writer.Tag(2, WireType.Fixed64);
                writer.Fixed64((ulong)BitConverter.DoubleToInt64Bits(ReadDouble(json!, path, single: false)));
                break;
            case JsonValueKind.String:
                writer.Tag(3, WireType.LengthDelimited);
                writer.String(json!.GetValue<string>());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.Tag(4, WireType.Varint);
                writer.Varint(json!.GetValueKind() == JsonValueKind.True ? 1UL : 0UL);
                break;
            default:
                WriteSingle(type.FindFieldByNumber(json is JsonObject ? 5 : 6), json, writer, path);
                break;
        }
    }

    private void WriteAny(JsonNode json, ProtoWriter writer, string path)
    {
        if (json is not JsonObject obj)
        {
            throw Mismatch(path, "an object with \"@type\"", json);
        }

        if (obj.Count == 0)
        {
            return;
        }

        var url = obj["@type"] is { } typeNode ? ReadString(typeNode, $"{path}.@type") : throw new FormatException($"{path}: an Any needs \"@type\"");
        var inner = ResolveAny(url, path);
        JsonNode content;
        if (WellKnown.Of(inner) != WellKnownKind.None)
        {
            content = obj["value"] ?? throw new FormatException($"{path}: an Any of {inner.FullName} holds its JSON in \"value\"");
        }
        else
        {
            var fields = new JsonObject();
            foreach (var (key, value) in obj)
            {
                if (key != "@type")
                {
                    fields[key] = value?.DeepClone();
                }
            }

            content = fields;
        }

        var nested = new ProtoWriter();
        WriteMessage(inner, content, nested, path);
        writer.Tag(1, WireType.LengthDelimited);
        writer.String(url);
        writer.Tag(2, WireType.LengthDelimited);
        writer.Bytes(nested.Written);
    }

    private MessageDescriptor ResolveAny(string url, string path)
    {
        var slash = url.LastIndexOf('/');
        var name = slash < 0 ? url : url[(slash + 1)..];
        return _resolveType(name) ?? throw new FormatException($"{path}: the Any's type '{name}' is not in the descriptor set");
    }

    private void WriteWellKnownJson(MessageDescriptor type, ReadOnlyMemory<byte> message, Utf8JsonWriter writer)
    {
        var kind = WellKnown.Of(type);
        var values = Collect(type, message);
        RawValue? Last(int number) => type.FindFieldByNumber(number) is { } f && values[f.Index] is { } list ? list[^1] : null;
        switch (kind)
        {
            case WellKnownKind.Timestamp:
                writer.WriteStringValue(ProtoTime.FormatTimestamp((long)(Last(1)?.Number ?? 0), (int)(Last(2)?.Number ?? 0)));
                break;
            case WellKnownKind.Duration:
                writer.WriteStringValue(ProtoTime.FormatDuration((long)(Last(1)?.Number ?? 0), (int)(Last(2)?.Number ?? 0)));
                break;
            case WellKnownKind.Wrapper:
                var field = type.FindFieldByNumber(1);
                if (field.FieldType == FieldType.Message)
                {
                    goto default;
                }

                WriteScalarJson(field, Last(1) ?? DefaultRaw(field.FieldType), writer);
                break;
            case WellKnownKind.Struct:
                writer.WriteStartObject();
                if (values[type.FindFieldByNumber(1).Index] is { } entries)
                {
                    WriteMapEntriesJson(type.FindFieldByNumber(1), entries, writer);
                }

                writer.WriteEndObject();
                break;
            case WellKnownKind.ListValue:
                writer.WriteStartArray();
                foreach (var item in values[type.FindFieldByNumber(1).Index] ?? [])
                {
                    WriteMessageJson(type.FindFieldByNumber(1).MessageType, item.Bytes, writer);
                }

                writer.WriteEndArray();
                break;
            case WellKnownKind.Value:
                WriteValueJson(type, values, writer);
                break;
            case WellKnownKind.Empty:
                writer.WriteStartObject();
                writer.WriteEndObject();
                break;
            case WellKnownKind.FieldMask:
                var paths = new List<string>();
                foreach (var item in values[type.FindFieldByNumber(1).Index] ?? [])
                {
                    paths.Add(ToCamelCase(Encoding.UTF8.GetString(item.Bytes.Span)));
                }

                writer.WriteStringValue(string.Join(',', paths));
                break;
            case WellKnownKind.Any:
                WriteAnyJson(Last(1), Last(2), writer);
                break;
            default:
                writer.WriteStartObject();
                WriteFieldsJson(type, message, writer);
                writer.WriteEndObject();
                break;
        }
    }

    /// <summary>The entries of a map field into an object the caller opened (Struct's fields).</summary>
    private void WriteMapEntriesJson(FieldDescriptor field, List<RawValue> entries, Utf8JsonWriter writer)
    {
        // Reuse the map writer, then unwrap: it writes the property name of the field first.
        using var buffer = new MemoryStream();
        using (var inner = new Utf8JsonWriter(buffer))
        {
            inner.WriteStartObject();
            WriteMapJson(field, entries, inner);
            inner.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        foreach (var property in document.RootElement.GetProperty(field.JsonName).EnumerateObject())
        {
            property.WriteTo(writer);
        }
    }

    private void WriteValueJson(MessageDescriptor type, List<RawValue>?[] values, Utf8JsonWriter writer)
    {
        // The kind oneof: whichever member is on the wire (Collect keeps only the last member).
        for (var number = 1; number <= 6; number++)
        {
            var field = type.FindFieldByNumber(number);
            if (values[field.Index] is not { } list)
            {
                continue;
            }

            var value = list[^1];
            switch (number)
            {
                case 1:
                    writer.WriteNullValue();
                    return;
                case 2:
                    WriteDouble(BitConverter.Int64BitsToDouble((long)value.Number), writer);
                    return;
                case 3:
                    writer.WriteStringValue(Encoding.UTF8.GetString(value.Bytes.Span));
                    return;
                case 4:
                    writer.WriteBooleanValue(value.Number != 0);
                    return;
                default:
                    WriteMessageJson(field.MessageType, Merge(list), writer);
                    return;
            }
        }

        // A Value with no kind set has no JSON form; null is the closest and what clients can read.
        writer.WriteNullValue();
    }

    private void WriteAnyJson(RawValue? url, RawValue? value, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (url is { } present)
        {
            var typeUrl = Encoding.UTF8.GetString(present.Bytes.Span);
            writer.WriteString("@type", typeUrl);
            var slash = typeUrl.LastIndexOf('/');
            var inner = _resolveType(slash < 0 ? typeUrl : typeUrl[(slash + 1)..]);
            var bytes = value?.Bytes ?? ReadOnlyMemory<byte>.Empty;
            if (inner is null)
            {
                // Not describable: the bytes as they are, so nothing is lost.
                writer.WriteBase64String("value", bytes.Span);
            }
            else if (WellKnown.Of(inner) != WellKnownKind.None)
            {
                writer.WritePropertyName("value");
                WriteWellKnownJson(inner, bytes, writer);
            }
            else
            {
                WriteFieldsJson(inner, bytes, writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteSecondsNanos(ProtoWriter writer, long seconds, int nanos)
    {
        if (seconds != 0)
        {
            writer.Tag(1, WireType.Varint);
            writer.Varint((ulong)seconds);
        }

        if (nanos != 0)
        {
            writer.Tag(2, WireType.Varint);
            writer.Varint((ulong)(long)nanos);
        }
    }

    private static string ToSnakeCase(string camel)
    {
        var builder = new StringBuilder(camel.Length + 4);
        foreach (var c in camel)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                builder.Append('_').Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string ToCamelCase(string snake)
    {
        var builder = new StringBuilder(snake.Length);
        var upper = false;
        foreach (var c in snake)
        {
            if (c == '_')
            {
                upper = true;
            }
            else
            {
                builder.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
        }

        return builder.ToString();
    }
}
