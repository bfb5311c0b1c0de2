using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.ZooKeeper.Wire;

/// <summary>Reads jute records from one received frame (the length prefix already removed).</summary>
internal ref struct JuteReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public readonly int Remaining => _buffer.Length - _position;

    public int ReadInt()
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(Take(4));
        return value;
    }

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>A buffer; null (length -1) is read as empty, which is how every ZooKeeper client presents it.</summary>
    public byte[] ReadBuffer()
    {
        var length = ReadInt();
        return length <= 0 ? [] : Take(length).ToArray();
    }

    public string ReadString()
    {
        var length = ReadInt();
        return length <= 0 ? "" : Encoding.UTF8.GetString(Take(length));
    }

    public List<string> ReadStrings()
    {
        var count = ReadInt();
        var values = new List<string>(Math.Max(count, 0));
        for (var i = 0; i < count; i++)
        {
            values.Add(ReadString());
        }

        return values;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new ZooKeeperProtocolException($"A record needs {count} more bytes but the frame has {Remaining}.");
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}
