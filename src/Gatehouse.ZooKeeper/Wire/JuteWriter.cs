using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.ZooKeeper.Wire;

/// <summary>
/// Writes jute records (zookeeper.jute): big-endian ints and longs, one-byte booleans, and length-prefixed
/// buffers, strings and vectors where a length of -1 means null.
/// </summary>
internal readonly struct JuteWriter(IBufferWriter<byte> output)
{
    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void WriteBool(bool value)
    {
        output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        output.Advance(1);
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        output.Write(value);
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt(length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }

    public void WriteStrings(IReadOnlyCollection<string> values)
    {
        WriteInt(values.Count);
        foreach (var value in values)
        {
            WriteString(value);
        }
    }
}
