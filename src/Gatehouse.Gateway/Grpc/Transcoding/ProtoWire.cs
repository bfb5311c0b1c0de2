using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>Protobuf wire types (encoding guide, "Message structure").</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>Writes protobuf wire format into a growing buffer; nested messages are written into a writer of their own.</summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public int Length => _buffer.WrittenCount;

    public void Tag(int field, WireType type) => Varint(((uint)field << 3) | (uint)type);

    public void Varint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _buffer.Advance(i);
    }

    public void Fixed32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void Fixed64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Varint((ulong)value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    public void String(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}

/// <summary>One field value as read from the wire: a number (varint, fixed) or a slice of the message (length-delimited).</summary>
internal readonly record struct RawValue(WireType Type, ulong Number, ReadOnlyMemory<byte> Bytes);

/// <summary>Reads protobuf wire format from a buffer; malformed input is a <see cref="FormatException"/>.</summary>
internal struct ProtoReader(ReadOnlyMemory<byte> data)
{
    private int _position;

    public readonly bool End => _position >= data.Length;

    public bool TryReadField(out int field, out RawValue value)
    {
        if (End)
        {
            field = 0;
            value = default;
            return false;
        }

        var tag = Varint();
        field = (int)(tag >> 3);
        var type = (WireType)(tag & 7);
        if (field <= 0)
        {
            throw new FormatException("a protobuf field number is 0");
        }

        switch (type)
        {
            case WireType.Varint:
                value = new RawValue(type, Varint(), default);
                break;
            case WireType.Fixed64:
                value = new RawValue(type, BinaryPrimitives.ReadUInt64LittleEndian(Take(8).Span), default);
                break;
            case WireType.Fixed32:
                value = new RawValue(type, BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span), default);
                break;
            case WireType.LengthDelimited:
                var length = Varint();
                value = new RawValue(type, 0, Take(length > int.MaxValue ? throw Truncated() : (int)length));
                break;
            case WireType.StartGroup:
                SkipGroup(field);
                value = new RawValue(type, 0, default);
                break;
            case WireType.EndGroup:
                value = new RawValue(type, 0, default);
                break;
            default:
                throw new FormatException($"protobuf wire type {(int)type} is not valid here");
        }

        return true;
    }

    public ulong Varint()
    {
        var span = data.Span;
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length)
            {
                throw Truncated();
            }

            var b = span[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new FormatException("a protobuf varint is longer than 10 bytes");
    }

    public uint Fixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span);

    public ulong Fixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8).Span);

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > data.Length - _position)
        {
            throw Truncated();
        }

        var slice = data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private void SkipGroup(int field)
    {
        // Groups are proto2's; nothing maps them to JSON here, but an unknown one must not derail the rest.
        while (TryReadField(out var inner, out var value))
        {
            if (value.Type == WireType.EndGroup && inner == field)
            {
                return;
            }
        }
    }

    private static FormatException Truncated() => new("the protobuf message is truncated");
}
