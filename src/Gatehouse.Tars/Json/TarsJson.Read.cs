using System.Globalization;
using System.Text.Json;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Schema;

namespace Gatehouse.Tars.Json;

/// <summary>Decoding: Tars values of a declared type as JSON.</summary>
public static partial class TarsJson
{
    /// <summary>Decodes a value of <paramref name="type"/> whose head (<paramref name="headType"/>) has been read, as JSON.</summary>
    /// <exception cref="TarsFormatException">The bytes are not a value of the type.</exception>
    public static void Read(ref TarsReader reader, TarsHeadType headType, TarsType type, Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        switch (type.Kind)
        {
            case TarsTypeKind.Bool:
                json.WriteBooleanValue(reader.ReadInteger(headType) != 0);
                break;
            case TarsTypeKind.Byte or TarsTypeKind.Short or TarsTypeKind.Int or TarsTypeKind.Long:
                json.WriteNumberValue(reader.ReadInteger(headType));
                break;
            case TarsTypeKind.Float:
                json.WriteNumberValue((float)reader.ReadFloating(headType));
                break;
            case TarsTypeKind.Double:
                json.WriteNumberValue(reader.ReadFloating(headType));
                break;
            case TarsTypeKind.String:
                json.WriteStringValue(reader.ReadStringBytes(headType));
                break;
            case TarsTypeKind.Bytes:
                json.WriteBase64StringValue(reader.ReadBytes(headType));
                break;
            case TarsTypeKind.Vector:
            {
                Expect(headType, TarsHeadType.List, type);
                reader.Enter();
                var count = reader.ReadLength();
                json.WriteStartArray();
                for (var i = 0; i < count; i++)
                {
                    Read(ref reader, reader.ReadHead().Type, type.Element!, json);
                }

                json.WriteEndArray();
                reader.Leave();
                break;
            }

            case TarsTypeKind.Map:
            {
                Expect(headType, TarsHeadType.Map, type);
                reader.Enter();
                var count = reader.ReadLength();
                json.WriteStartObject();
                for (var i = 0; i < count; i++)
                {
                    json.WritePropertyName(ReadKey(ref reader, type.Key!));
                    Read(ref reader, reader.ReadHead().Type, type.Element!, json);
                }

                json.WriteEndObject();
                reader.Leave();
                break;
            }

            case TarsTypeKind.Struct:
                Expect(headType, TarsHeadType.StructBegin, type);
                reader.Enter();
                ReadStructBody(ref reader, type.Struct!, json, topLevel: false);
                reader.Leave();
                break;
        }
    }

    /// <summary>Reads struct fields up to the struct's end (or, at top level, the input's end) as a JSON object.</summary>
    public static void ReadStructBody(ref TarsReader reader, TarsStruct definition, Utf8JsonWriter json, bool topLevel)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        var seen = definition.Fields.Count <= 64 ? 0UL : throw new TarsFormatException($"struct {definition.Name} has more than 64 fields");
        while (!(topLevel && reader.End))
        {
            var (tag, headType) = reader.ReadHead();
            if (headType == TarsHeadType.StructEnd)
            {
                break;
            }

            var index = IndexOf(definition, tag);
            if (index < 0)
            {
                reader.Skip(headType);
                continue;
            }

            var field = definition.Fields[index];
            json.WritePropertyName(field.Name);
            Read(ref reader, headType, field.Type, json);
            seen |= 1UL << index;
        }

        for (var i = 0; i < definition.Fields.Count; i++)
        {
            if ((seen & (1UL << i)) == 0)
            {
                json.WritePropertyName(definition.Fields[i].Name);
                WriteJsonDefault(json, definition.Fields[i].Type);
            }
        }

        json.WriteEndObject();
    }

    /// <summary>The JSON form of a type's default value.</summary>
    public static void WriteJsonDefault(Utf8JsonWriter json, TarsType type)
    {
        ArgumentNullException.ThrowIfNull(json);
        switch (type.Kind)
        {
            case TarsTypeKind.Bool:
                json.WriteBooleanValue(false);
                break;
            case TarsTypeKind.String or TarsTypeKind.Bytes:
                json.WriteStringValue("");
                break;
            case TarsTypeKind.Vector:
                json.WriteStartArray();
                json.WriteEndArray();
                break;
            case TarsTypeKind.Map:
                json.WriteStartObject();
                json.WriteEndObject();
                break;
            case TarsTypeKind.Struct:
                json.WriteStartObject();
                foreach (var field in type.Struct!.Fields)
                {
                    json.WritePropertyName(field.Name);
                    WriteJsonDefault(json, field.Type);
                }

                json.WriteEndObject();
                break;
            default:
                json.WriteNumberValue(0);
                break;
        }
    }

    private static string ReadKey(ref TarsReader reader, TarsType type)
    {
        var (_, headType) = reader.ReadHead();
        return type.Kind switch
        {
            TarsTypeKind.String => reader.ReadString(headType),
            TarsTypeKind.Bool => reader.ReadInteger(headType) != 0 ? "true" : "false",
            TarsTypeKind.Float or TarsTypeKind.Double => reader.ReadFloating(headType).ToString("R", CultureInfo.InvariantCulture),
            _ => reader.ReadInteger(headType).ToString(CultureInfo.InvariantCulture),
        };
    }

    private static int IndexOf(TarsStruct definition, int tag)
    {
        var fields = definition.Fields;
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].Tag == tag)
            {
                return i;
            }
        }

        return -1;
    }
}
