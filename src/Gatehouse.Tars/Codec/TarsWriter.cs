using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Tars.Codec;

/// <summary>Writes Tars-encoded values (the wire layer: no sockets) into a buffer writer.</summary>
/// <remarks>
/// Integers take the smallest of the four widths that holds them and 0 (of any numeric type, floats included) is
/// the payload-less <see cref="TarsHeadType.Zero"/>, as @tars/stream and TarsJava write them; readers accept a
/// narrower width than declared. Tags 0–14 fit in the head byte, tags 15–255 take a second byte.
/// </remarks>
public sealed class TarsWriter(IBufferWriter<byte> output)
{
    /// <summary>The largest tag the encoding can carry.</summary>
    public const int MaxTag = 255;

    /// <summary>The buffer written to.</summary>
    public IBufferWriter<byte> Output { get; } = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Writes a head: tag and type.</summary>
    public void WriteHead(int tag, TarsHeadType type)
    {
        if ((uint)tag > MaxTag)
        {
            throw new ArgumentOutOfRangeException(nameof(tag), tag, "a Tars tag is 0 to 255");
        }

        if (tag < 15)
        {
            var span = Output.GetSpan(1);
            span[0] = (byte)((tag << 4) | (byte)type);
            Output.Advance(1);
        }
        else
        {
            var span = Output.GetSpan(2);
            span[0] = (byte)(0xF0 | (byte)type);
            span[1] = (byte)tag;
            Output.Advance(2);
        }
    }

    /// <summary>A bool: an int8 of 1 or 0.</summary>
    public void WriteBool(int tag, bool value) => WriteInt8(tag, value ? (sbyte)1 : (sbyte)0);

    /// <summary>An int8; 0 is written as <see cref="TarsHeadType.Zero"/>.</summary>
    public void WriteInt8(int tag, sbyte value)
    {
        if (value == 0)
        {
            WriteHead(tag, TarsHeadType.Zero);
            return;
        }

        WriteHead(tag, TarsHeadType.Int8);
        var span = Output.GetSpan(1);
        span[0] = (byte)value;
        Output.Advance(1);
    }

    /// <summary>An int16, as an int8 when it fits.</summary>
    public void WriteInt16(int tag, short value)
    {
        if (value is >= sbyte.MinValue and <= sbyte.MaxValue)
        {
            WriteInt8(tag, (sbyte)value);
            return;
        }

        WriteHead(tag, TarsHeadType.Int16);
        BinaryPrimitives.WriteInt16BigEndian(Output.GetSpan(2), value);
        Output.Advance(2);
    }

    /// <summary>An int32, as the narrowest type it fits.</summary>
    public void WriteInt32(int tag, int value)
    {
        if (value is >= short.MinValue and <= short.MaxValue)
        {
            WriteInt16(tag, (short)value);
            return;
        }

        WriteHead(tag, TarsHeadType.Int32);
        BinaryPrimitives.WriteInt32BigEndian(Output.GetSpan(4), value);
        Output.Advance(4);
    }

    /// <summary>An int64, as the narrowest type it fits.</summary>
    public void WriteInt64(int tag, long value)
    {
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            WriteInt32(tag, (int)value);
            return;
        }

        WriteHead(tag, TarsHeadType.Int64);
        BinaryPrimitives.WriteInt64BigEndian(Output.GetSpan(8), value);
        Output.Advance(8);
    }

    /// <summary>A float; 0 is written as <see cref="TarsHeadType.Zero"/>.</summary>
    public void WriteFloat(int tag, float value)
    {
        // Positive and negative zero alike: @tars/stream compares with == 0.
        if (value == 0)
        {
            WriteHead(tag, TarsHeadType.Zero);
            return;
        }

        WriteHead(tag, TarsHeadType.Float);
        BinaryPrimitives.WriteSingleBigEndian(Output.GetSpan(4), value);
        Output.Advance(4);
    }

    /// <summary>A double; 0 is written as <see cref="TarsHeadType.Zero"/>.</summary>
    public void WriteDouble(int tag, double value)
    {
        if (value == 0)
        {
            WriteHead(tag, TarsHeadType.Zero);
            return;
        }

        WriteHead(tag, TarsHeadType.Double);
        BinaryPrimitives.WriteDoubleBigEndian(Output.GetSpan(8), value);
        Output.Advance(8);
    }

    /// <summary>A string (UTF-8): <see cref="TarsHeadType.String1"/> up to 255 bytes, else <see cref="TarsHeadType.String4"/>.</summary>
    public void WriteString(int tag, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        if (length <= byte.MaxValue)
        {
            WriteHead(tag, TarsHeadType.String1);
            var span = Output.GetSpan(1 + length);
            span[0] = (byte)length;
            Encoding.UTF8.GetBytes(value, span[1..]);
            Output.Advance(1 + length);
        }
        else
        {
            WriteHead(tag, TarsHeadType.String4);
            var span = Output.GetSpan(4 + length);
            BinaryPrimitives.WriteInt32BigEndian(span, length);
            Encoding.UTF8.GetBytes(value, span[4..]);
            Output.Advance(4 + length);
        }
    }

    /// <summary>A byte array as a simple list (<c>vector&lt;byte&gt;</c>).</summary>
    public void WriteBytes(int tag, ReadOnlySpan<byte> value)
    {
        WriteHead(tag, TarsHeadType.SimpleList);
        WriteHead(0, TarsHeadType.Int8);
        WriteInt32(0, value.Length);
        value.CopyTo(Output.GetSpan(value.Length));
        Output.Advance(value.Length);
    }

    /// <summary>Opens a list of <paramref name="count"/> elements; write each at tag 0.</summary>
    public void BeginList(int tag, int count)
    {
        WriteHead(tag, TarsHeadType.List);
        WriteInt32(0, count);
    }

    /// <summary>Opens a map of <paramref name="count"/> entries; write each key at tag 0 and its value at tag 1.</summary>
    public void BeginMap(int tag, int count)
    {
        WriteHead(tag, TarsHeadType.Map);
        WriteInt32(0, count);
    }

    /// <summary>Opens a struct; write its fields, then <see cref="EndStruct"/>.</summary>
    public void BeginStruct(int tag) => WriteHead(tag, TarsHeadType.StructBegin);

    /// <summary>Closes a struct.</summary>
    public void EndStruct() => WriteHead(0, TarsHeadType.StructEnd);

    /// <summary>A map of strings to strings (the context and status of the packets).</summary>
    public void WriteStringMap(int tag, IReadOnlyList<KeyValuePair<string, string>>? map)
    {
        BeginMap(tag, map?.Count ?? 0);
        if (map is null)
        {
            return;
        }

        for (var i = 0; i < map.Count; i++)
        {
            WriteString(0, map[i].Key);
            WriteString(1, map[i].Value);
        }
    }
}
