using System.Buffers;
using Gatehouse.Tars.Codec;

namespace Gatehouse.Tars.Protocol;

/// <summary>Simple TUP (version 3, the UniAttribute of @tars/stream and TarsCpp's <c>UniPacket</c>).</summary>
/// <remarks>
/// <c>sBuffer</c> is a <c>map&lt;string, vector&lt;byte&gt;&gt;</c> at tag 0: each argument by name, its value
/// Tars-encoded at tag 0 on its own. The return value travels under the empty name.
/// </remarks>
public static class Tup
{
    /// <summary>The name the return value travels under.</summary>
    public const string ReturnName = "";

    /// <summary>Encodes named, already encoded values into a TUP buffer.</summary>
    public static byte[] Encode(IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var output = new ArrayBufferWriter<byte>(64);
        var writer = new TarsWriter(output);
        writer.BeginMap(0, values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            writer.WriteString(0, values[i].Key);
            writer.WriteBytes(1, values[i].Value.Span);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a TUP buffer into its named, still encoded values (slices of <paramref name="buffer"/>).</summary>
    public static Dictionary<string, ReadOnlyMemory<byte>> Decode(ReadOnlyMemory<byte> buffer)
    {
        var result = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var reader = new TarsReader(buffer.Span);
        if (!reader.SkipToTag(0))
        {
            return result;
        }

        var (_, type) = reader.ReadHead();
        if (type != TarsHeadType.Map)
        {
            throw new TarsFormatException($"a TUP buffer is a map at tag 0, not {type}");
        }

        var count = reader.ReadLength();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString(reader.ReadHead().Type);
            var (_, valueType) = reader.ReadHead();
            var length = reader.ReadBytes(valueType).Length;
            // The bytes end where the reader stands now; the slice keeps them without a copy.
            result[name] = buffer.Slice(reader.Position - length, length);
        }

        return result;
    }
}
