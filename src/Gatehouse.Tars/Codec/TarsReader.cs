using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Tars.Codec;

/// <summary>Reads Tars-encoded values from a span (the wire layer: no sockets).</summary>
/// <remarks>
/// Every read checks the bytes left and throws <see cref="TarsFormatException"/> on truncated or malformed input,
/// never an index exception. Integer reads accept any narrower width and <see cref="TarsHeadType.Zero"/>; nesting
/// deeper than <see cref="MaxDepth"/> is refused so hostile input cannot exhaust the stack.
/// </remarks>
public ref struct TarsReader
{
    /// <summary>Deepest nesting of structs, lists and maps accepted.</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private int _depth;

    /// <summary>Reads <paramref name="data"/> from its start.</summary>
    public TarsReader(ReadOnlySpan<byte> data)
    {
        _data = data;
    }

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _position >= _data.Length;

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    /// <summary>Reads a head (tag and type).</summary>
    public (int Tag, TarsHeadType Type) ReadHead()
    {
        var (tag, type, size) = PeekHead();
        _position += size;
        return (tag, type);
    }

    /// <summary>The next head without consuming it, and its size in bytes (1 or 2).</summary>
    public readonly (int Tag, TarsHeadType Type, int Size) PeekHead()
    {
        Need(1);
        var first = _data[_position];
        var type = (TarsHeadType)(first & 0x0F);
        if ((byte)type > (byte)TarsHeadType.SimpleList)
        {
            throw new TarsFormatException($"unknown Tars type {(byte)type} at byte {_position}");
        }

        var tag = first >> 4;
        if (tag < 15)
        {
            return (tag, type, 1);
        }

        Need(2);
        return (_data[_position + 1], type, 2);
    }

    /// <summary>An integer of any width (or zero) whose head has been read.</summary>
    public long ReadInteger(TarsHeadType type)
    {
        switch (type)
        {
            case TarsHeadType.Zero:
                return 0;
            case TarsHeadType.Int8:
                Need(1);
                return (sbyte)_data[_position++];
            case TarsHeadType.Int16:
                Need(2);
                var s = BinaryPrimitives.ReadInt16BigEndian(_data[_position..]);
                _position += 2;
                return s;
            case TarsHeadType.Int32:
                Need(4);
                var i = BinaryPrimitives.ReadInt32BigEndian(_data[_position..]);
                _position += 4;
                return i;
            case TarsHeadType.Int64:
                Need(8);
                var l = BinaryPrimitives.ReadInt64BigEndian(_data[_position..]);
                _position += 8;
                return l;
            default:
                throw Mismatch("an integer", type);
        }
    }

    /// <summary>A float or double (or zero) whose head has been read.</summary>
    public double ReadFloating(TarsHeadType type)
    {
        switch (type)
        {
            case TarsHeadType.Zero:
                return 0;
            case TarsHeadType.Float:
                Need(4);
                var f = BinaryPrimitives.ReadSingleBigEndian(_data[_position..]);
                _position += 4;
                return f;
            case TarsHeadType.Double:
                Need(8);
                var d = BinaryPrimitives.ReadDoubleBigEndian(_data[_position..]);
                _position += 8;
                return d;
            default:
                throw Mismatch("a float or double", type);
        }
    }

    /// <summary>A string whose head has been read.</summary>
    public string ReadString(TarsHeadType type) => Encoding.UTF8.GetString(ReadStringBytes(type));

    /// <summary>The UTF-8 bytes of a string whose head has been read.</summary>
    public ReadOnlySpan<byte> ReadStringBytes(TarsHeadType type)
    {
        int length;
        switch (type)
        {
            case TarsHeadType.String1:
                Need(1);
                length = _data[_position++];
                break;
            case TarsHeadType.String4:
                Need(4);
                length = BinaryPrimitives.ReadInt32BigEndian(_data[_position..]);
                _position += 4;
                if (length < 0)
                {
                    throw new TarsFormatException($"string length {length} is negative");
                }

                break;
            default:
                throw Mismatch("a string", type);
        }

        Need(length);
        var bytes = _data.Slice(_position, length);
        _position += length;
        return bytes;
    }

    /// <summary>A byte array (a simple list) whose head has been read; the returned span points into the input.</summary>
    public ReadOnlySpan<byte> ReadBytes(TarsHeadType type)
    {
        if (type != TarsHeadType.SimpleList)
        {
            throw Mismatch("a simple list (vector<byte>)", type);
        }

        var (_, elementType) = ReadHead();
        if (elementType != TarsHeadType.Int8)
        {
            throw new TarsFormatException($"a simple list holds int8 elements, not {elementType}");
        }

        var length = ReadLength();
        var bytes = _data.Slice(_position, length);
        _position += length;
        return bytes;
    }

    /// <summary>
    /// The size of a list or map (an int at tag 0 after its head); checked against the bytes left, as every element
    /// takes at least one byte.
    /// </summary>
    public int ReadLength()
    {
        var (_, type) = ReadHead();
        var length = ReadInteger(type);
        if (length < 0 || length > _data.Length - _position)
        {
            throw new TarsFormatException($"size {length} does not fit the {_data.Length - _position} bytes left");
        }

        return (int)length;
    }

    /// <summary>Enters a struct, list or map; call <see cref="Leave"/> after it.</summary>
    public void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw new TarsFormatException($"values nest deeper than {MaxDepth} levels");
        }
    }

    /// <summary>Leaves a struct, list or map.</summary>
    public void Leave() => _depth--;

    /// <summary>Skips a value whose head has been read.</summary>
    public void Skip(TarsHeadType type)
    {
        switch (type)
        {
            case TarsHeadType.Zero or TarsHeadType.Int8 or TarsHeadType.Int16 or TarsHeadType.Int32 or TarsHeadType.Int64:
                ReadInteger(type);
                break;
            case TarsHeadType.Float or TarsHeadType.Double:
                ReadFloating(type);
                break;
            case TarsHeadType.String1 or TarsHeadType.String4:
                ReadStringBytes(type);
                break;
            case TarsHeadType.SimpleList:
                ReadBytes(type);
                break;
            case TarsHeadType.List:
            {
                Enter();
                var count = ReadLength();
                for (var i = 0; i < count; i++)
                {
                    Skip(ReadHead().Type);
                }

                Leave();
                break;
            }

            case TarsHeadType.Map:
            {
                Enter();
                var count = ReadLength();
                for (var i = 0; i < count * 2; i++)
                {
                    Skip(ReadHead().Type);
                }

                Leave();
                break;
            }

            case TarsHeadType.StructBegin:
                Enter();
                SkipToStructEnd();
                Leave();
                break;
            case TarsHeadType.StructEnd:
                break;
            default:
                throw new TarsFormatException($"unknown Tars type {(byte)type}");
        }
    }

    /// <summary>Skips the rest of a struct, its end included.</summary>
    public void SkipToStructEnd()
    {
        while (true)
        {
            var (_, type) = ReadHead();
            if (type == TarsHeadType.StructEnd)
            {
                return;
            }

            Skip(type);
        }
    }

    /// <summary>
    /// Moves to the field <paramref name="tag"/> of the current struct (or top level), skipping lower tags; true with
    /// its head unread when found, false (nothing consumed past the lower tags) when a higher tag, the struct's end or
    /// the input's end comes first. Fields are written in increasing tag order.
    /// </summary>
    public bool SkipToTag(int tag)
    {
        while (!End)
        {
            var (current, type, size) = PeekHead();
            if (type == TarsHeadType.StructEnd || current > tag)
            {
                return false;
            }

            if (current == tag)
            {
                return true;
            }

            _position += size;
            Skip(type);
        }

        return false;
    }

    /// <summary>The integer field <paramref name="tag"/>; <paramref name="missing"/> when absent.</summary>
    public long ReadIntegerField(int tag, long missing = 0) => SkipToTag(tag) ? ReadInteger(ReadHead().Type) : missing;

    /// <summary>The string field <paramref name="tag"/>; empty when absent.</summary>
    public string ReadStringField(int tag) => SkipToTag(tag) ? ReadString(ReadHead().Type) : "";

    /// <summary>The byte-array field <paramref name="tag"/>; empty when absent.</summary>
    public ReadOnlySpan<byte> ReadBytesField(int tag) => SkipToTag(tag) ? ReadBytes(ReadHead().Type) : default;

    /// <summary>The <c>map&lt;string, string&gt;</c> field <paramref name="tag"/>; null when absent.</summary>
    public Dictionary<string, string>? ReadStringMapField(int tag)
    {
        if (!SkipToTag(tag))
        {
            return null;
        }

        var (_, type) = ReadHead();
        if (type != TarsHeadType.Map)
        {
            throw Mismatch("a map", type);
        }

        var count = ReadLength();
        var map = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var key = ReadString(ReadHead().Type);
            map[key] = ReadString(ReadHead().Type);
        }

        return map;
    }

    private readonly void Need(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new TarsFormatException($"truncated Tars data: {count} more byte(s) needed at byte {_position} of {_data.Length}");
        }
    }

    private readonly TarsFormatException Mismatch(string expected, TarsHeadType type)
        => new($"expected {expected}, found Tars type {type} at byte {_position}");
}
