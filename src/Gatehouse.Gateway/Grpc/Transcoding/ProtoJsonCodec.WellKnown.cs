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
    private static readonly DateTime Epoch = DateTime.UnixEpoch;

    // The range the mapping allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
    private const long MinTimestampSeconds = -62135596800;
    private const long MaxTimestampSeconds = 253402300799;
    private const long MaxDurationSeconds = 315576000000;

    private void WriteWellKnown(MessageDescriptor type, JsonNode json, ProtoWriter writer, string path)
    {
        switch (WellKnown.Of(type))
        {
            case WellKnownKind.Timestamp:
                var (seconds, nanos) = ParseTimestamp(ReadString(json, path), path);
                WriteSecondsNanos(writer, seconds, nanos);
                break;
            case WellKnownKind.Duration:
                (seconds, nanos) = ParseDuration(ReadString(json, path), path);
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
                writer.WriteStringValue(FormatTimestamp((long)(Last(1)?.Number ?? 0), (int)(Last(2)?.Number ?? 0)));
                break;
            case WellKnownKind.Duration:
                writer.WriteStringValue(FormatDuration((long)(Last(1)?.Number ?? 0), (int)(Last(2)?.Number ?? 0)));
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

    internal static string FormatTimestamp(long seconds, int nanos)
    {
        if (seconds is < MinTimestampSeconds or > MaxTimestampSeconds || nanos is < 0 or > 999_999_999)
        {
            throw new FormatException($"a Timestamp of {seconds} s and {nanos} ns is out of range");
        }

        var time = Epoch.AddSeconds(seconds);
        return time.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture) + Fraction(nanos) + "Z";
    }

    internal static string FormatDuration(long seconds, int nanos)
    {
        if (seconds is < -MaxDurationSeconds or > MaxDurationSeconds || Math.Abs(nanos) > 999_999_999
            || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
        {
            throw new FormatException($"a Duration of {seconds} s and {nanos} ns is not valid");
        }

        var sign = seconds < 0 || nanos < 0 ? "-" : "";
        return sign + Math.Abs(seconds).ToString(CultureInfo.InvariantCulture) + Fraction(Math.Abs(nanos)) + "s";
    }

    /// <summary>0, 3, 6 or 9 fractional digits, the fewest that keep the value (as the reference formatters write).</summary>
    private static string Fraction(int nanos) => nanos == 0 ? ""
        : nanos % 1_000_000 == 0 ? "." + (nanos / 1_000_000).ToString("D3", CultureInfo.InvariantCulture)
        : nanos % 1_000 == 0 ? "." + (nanos / 1_000).ToString("D6", CultureInfo.InvariantCulture)
        : "." + nanos.ToString("D9", CultureInfo.InvariantCulture);

    /// <summary>RFC 3339: <c>yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm)</c>.</summary>
    internal static (long Seconds, int Nanos) ParseTimestamp(string text, string path)
    {
        FormatException Bad() => new($"{path}: '{text}' is not an RFC 3339 timestamp (e.g. 2024-05-01T12:30:00Z)");
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't') || text[13] != ':' || text[16] != ':')
        {
            throw Bad();
        }

        if (!DateTime.TryParseExact(text.AsSpan(0, 19), "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            && !DateTime.TryParseExact(text.AsSpan(0, 19), "yyyy'-'MM'-'dd't'HH':'mm':'ss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out time))
        {
            throw Bad();
        }

        var i = 19;
        var nanos = 0;
        if (i < text.Length && text[i] == '.')
        {
            var start = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            var digits = i - start;
            if (digits is 0 or > 9)
            {
                throw Bad();
            }

            nanos = int.Parse(text.AsSpan(start, digits), CultureInfo.InvariantCulture) * (int)Math.Pow(10, 9 - digits);
        }

        long offset;
        var zone = text.AsSpan(i);
        if (zone is "Z" or "z")
        {
            offset = 0;
        }
        else if (zone.Length == 6 && zone[0] is '+' or '-' && zone[3] == ':'
            && int.TryParse(zone.Slice(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            && int.TryParse(zone.Slice(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
        {
            offset = ((hours * 60) + minutes) * 60L * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            throw Bad();
        }

        var seconds = (long)(time - Epoch).TotalSeconds - offset;
        return seconds is < MinTimestampSeconds or > MaxTimestampSeconds ? throw Bad() : (seconds, nanos);
    }

    /// <summary><c>-?\d+(\.\d{1,9})?s</c>.</summary>
    internal static (long Seconds, int Nanos) ParseDuration(string text, string path)
    {
        FormatException Bad() => new($"{path}: '{text}' is not a duration (e.g. \"1.5s\")");
        if (text.Length < 2 || text[^1] != 's')
        {
            throw Bad();
        }

        var body = text.AsSpan(0, text.Length - 1);
        var negative = body[0] == '-';
        if (negative)
        {
            body = body[1..];
        }

        var dot = body.IndexOf('.');
        var whole = dot < 0 ? body : body[..dot];
        var fraction = dot < 0 ? ReadOnlySpan<char>.Empty : body[(dot + 1)..];
        if (whole.IsEmpty || !long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (dot >= 0 && (fraction.IsEmpty || fraction.Length > 9 || !int.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            || seconds > MaxDurationSeconds)
        {
            throw Bad();
        }

        var nanos = fraction.IsEmpty ? 0 : int.Parse(fraction, CultureInfo.InvariantCulture) * (int)Math.Pow(10, 9 - fraction.Length);
        return negative ? (-seconds, -nanos) : (seconds, nanos);
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
