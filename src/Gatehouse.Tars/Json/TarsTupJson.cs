using System.Buffers;
using System.Text.Json;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Protocol;
using Gatehouse.Tars.Schema;

namespace Gatehouse.Tars.Json;

/// <summary>Encodes JSON arguments of a function as a TUP buffer and decodes a TUP result as JSON.</summary>
/// <remarks>
/// The result: a function without <c>out</c> parameters answers its return value alone (<c>null</c> for void); one
/// with <c>out</c> parameters answers an object of the return value under <c>tars_ret</c> (the key TarsCpp's JSON
/// protocol uses) and each <c>out</c> parameter under its name.
/// </remarks>
public static class TarsTupJson
{
    /// <summary>The JSON key of the return value when out parameters come with it.</summary>
    public const string ReturnKey = "tars_ret";

    /// <summary>The TUP buffer of <paramref name="arguments"/> (one per parameter of <paramref name="function"/>, out ones ignored; null: default).</summary>
    /// <exception cref="FormatException">An argument does not fit its type; the message names the parameter.</exception>
    public static byte[] EncodeArguments(TarsFunction function, IReadOnlyList<JsonElement?> arguments)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(arguments);
        var values = new List<KeyValuePair<string, ReadOnlyMemory<byte>>>(function.Parameters.Count);
        for (var i = 0; i < function.Parameters.Count; i++)
        {
            var parameter = function.Parameters[i];
            if (parameter.Out)
            {
                continue;
            }

            var output = new ArrayBufferWriter<byte>(32);
            try
            {
                TarsJson.Write(new TarsWriter(output), 0, arguments[i] ?? default, parameter.Type);
            }
            catch (FormatException e)
            {
                throw new FormatException($"argument '{parameter.Name}' ({parameter.Type.Name}): {e.Message}", e);
            }

            values.Add(new(parameter.Name, output.WrittenMemory));
        }

        return Tup.Encode(values);
    }

    /// <summary>Writes the result in a TUP response buffer as JSON.</summary>
    /// <exception cref="TarsFormatException">The buffer is not a TUP result of the function.</exception>
    public static void WriteResult(TarsFunction function, ReadOnlyMemory<byte> buffer, Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(json);
        var values = Tup.Decode(buffer);
        var hasOut = false;
        foreach (var parameter in function.Parameters)
        {
            hasOut |= parameter.Out;
        }

        if (!hasOut)
        {
            WriteValue(values, Tup.ReturnName, function.ReturnType, json);
            return;
        }

        json.WriteStartObject();
        if (function.ReturnType is not null)
        {
            json.WritePropertyName(ReturnKey);
            WriteValue(values, Tup.ReturnName, function.ReturnType, json);
        }

        foreach (var parameter in function.Parameters)
        {
            if (parameter.Out)
            {
                json.WritePropertyName(parameter.Name);
                WriteValue(values, parameter.Name, parameter.Type, json);
            }
        }

        json.WriteEndObject();
    }

    private static void WriteValue(Dictionary<string, ReadOnlyMemory<byte>> values, string name, TarsType? type, Utf8JsonWriter json)
    {
        if (type is null)
        {
            json.WriteNullValue();
            return;
        }

        if (!values.TryGetValue(name, out var bytes))
        {
            // The server left it out (an unset out parameter): its default, as the generated code reads it.
            TarsJson.WriteJsonDefault(json, type);
            return;
        }

        var reader = new TarsReader(bytes.Span);
        var (_, headType) = reader.ReadHead();
        TarsJson.Read(ref reader, headType, type, json);
    }
}
