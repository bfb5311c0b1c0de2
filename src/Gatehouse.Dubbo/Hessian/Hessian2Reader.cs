using System.Buffers.Binary;
using System.Text;

namespace Gatehouse.Dubbo.Hessian;

/// <summary>
/// Reads hessian2 values from a buffer holding whole values (a Dubbo body is framed, so nothing is read from a stream).
/// </summary>
/// <remarks>
/// Reads every form of the hessian2 grammar except remote references ('r'/'H' in Hessian 1 meaning) and streaming
/// packets; see <see cref="HessianObject"/> for the values returned. Strings accept both Java's surrogate pairs
/// (two 3-byte sequences) and standard 4-byte UTF-8, which some writers emit for non-BMP characters.
/// </remarks>
public ref struct Hessian2Reader
{
    private const int MaxDepth = 256;
    private readonly ReadOnlySpan<byte> _data;
    private readonly List<object?> _references = [];
    private readonly List<List<string>> _classDefinitions = [];
    private readonly List<string> _classNames = [];
    private readonly List<string> _types = [];
    private int _position;
    private int _depth;

    /// <summary>Creates a reader at the start of <paramref name="data"/>.</summary>
    public Hessian2Reader(ReadOnlySpan<byte> data) => _data = data;

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _position >= _data.Length;

    /// <summary>Reads the next value.</summary>
    public object? ReadValue()
    {
        if (++_depth > MaxDepth)
        {
            throw new HessianFormatException($"values nest deeper than {MaxDepth} levels");
        }

        try
        {
            return ReadValueCore(ReadByte());
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Reads the next value as a string (null allowed).</summary>
    public string? ReadString() => ReadValue() switch
    {
        null => null,
        string s => s,
        var other => throw new HessianFormatException($"expected a string, got {Describe(other)}"),
    };

    /// <summary>Reads the next value as an int.</summary>
    public int ReadInt() => ReadValue() switch
    {
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        var other => throw new HessianFormatException($"expected an int, got {Describe(other)}"),
    };

    private object? ReadValueCore(byte tag)
    {
        switch (tag)
        {
            case (byte)'N': return null;
            case (byte)'T': return true;
            case (byte)'F': return false;
            case <= 0x1f: return ReadUnits(tag, final: true, new StringBuilder(tag)).ToString();
            case >= 0x20 and <= 0x2f: return ReadBytes(tag - 0x20).ToArray();
            case >= 0x30 and <= 0x33: return ReadUnits(((tag - 0x30) << 8) | ReadByte(), final: true, new StringBuilder()).ToString();
            case >= 0x34 and <= 0x37: return ReadBytes(((tag - 0x34) << 8) | ReadByte()).ToArray();
            case >= 0x38 and <= 0x3f: return (long)((((tag - 0x3c) << 16) | (ReadByte() << 8)) | ReadByte());
            case (byte)'A' or (byte)'B': return ReadChunkedBinary(tag);
            case (byte)'C':
                ReadClassDefinition();
                return ReadValueCore(ReadByte());
            case (byte)'D': return BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8));
            case 0x4a: return DateTime.UnixEpoch.AddMilliseconds(BinaryPrimitives.ReadInt64BigEndian(ReadBytes(8)));
            case 0x4b: return DateTime.UnixEpoch.AddMinutes(BinaryPrimitives.ReadInt32BigEndian(ReadBytes(4)));
            case (byte)'H': return ReadMapBody(new HessianMap());
            case (byte)'I': return BinaryPrimitives.ReadInt32BigEndian(ReadBytes(4));
            case (byte)'L': return BinaryPrimitives.ReadInt64BigEndian(ReadBytes(8));
            case (byte)'M': return ReadMapBody(new HessianMap(ReadType()));
            case (byte)'O': return ReadInstance(ReadInt());
            case 0x51:
            {
                var index = ReadInt();
                return index >= 0 && index < _references.Count
                    ? _references[index]
                    : throw new HessianFormatException($"reference {index} points past the {_references.Count} values read");
            }
            case (byte)'R' or (byte)'S': return ReadChunkedString(tag);
            case (byte)'U': return ReadVariableList(new HessianList(ReadType()));
            case (byte)'V':
            {
                var list = new HessianList(ReadType());
                return ReadFixedList(list, ReadInt());
            }
            case (byte)'W': return ReadVariableList(new HessianList());
            case (byte)'X': return ReadFixedList(new HessianList(), ReadInt());
            case 0x59: return (long)BinaryPrimitives.ReadInt32BigEndian(ReadBytes(4));
            case 0x5b: return 0.0;
            case 0x5c: return 1.0;
            case 0x5d: return (double)(sbyte)ReadByte();
            case 0x5e: return (double)BinaryPrimitives.ReadInt16BigEndian(ReadBytes(2));
            // Caucho's Hessian2Output (and hessian.js) write 0x5f as a whole number of thousandths, not as a float.
            case 0x5f: return BinaryPrimitives.ReadInt32BigEndian(ReadBytes(4)) * 0.001;
            case >= 0x60 and <= 0x6f: return ReadInstance(tag - 0x60);
            case >= 0x70 and <= 0x77:
            {
                var list = new HessianList(ReadType());
                return ReadFixedList(list, tag - 0x70);
            }
            case >= 0x78 and <= 0x7f: return ReadFixedList(new HessianList(), tag - 0x78);
            case >= 0x80 and <= 0xbf: return tag - 0x90;
            case >= 0xc0 and <= 0xcf: return ((tag - 0xc8) << 8) | ReadByte();
            case >= 0xd0 and <= 0xd7: return (((tag - 0xd4) << 16) | (ReadByte() << 8)) | ReadByte();
            case >= 0xd8 and <= 0xef: return (long)(tag - 0xe0);
            case >= 0xf0: return (long)(((tag - 0xf8) << 8) | ReadByte());
            default: throw new HessianFormatException($"unexpected tag 0x{tag:x2} at offset {_position - 1}");
        }
    }

    private void ReadClassDefinition()
    {
        var name = ReadString() ?? throw new HessianFormatException("class definition without a name");
        var count = ReadInt();
        if (count < 0 || count > _data.Length)
        {
            throw new HessianFormatException($"class definition '{name}' declares {count} fields");
        }

        var fields = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            fields.Add(ReadString() ?? throw new HessianFormatException($"class definition '{name}' has a null field name"));
        }

        _classNames.Add(name);
        _classDefinitions.Add(fields);
    }

    private HessianObject ReadInstance(int definition)
    {
        if (definition < 0 || definition >= _classDefinitions.Count)
        {
            throw new HessianFormatException($"object refers to class definition {definition}, {_classDefinitions.Count} defined");
        }

        var fields = _classDefinitions[definition];
        var value = new HessianObject(_classNames[definition]);
        _references.Add(value);
        foreach (var field in fields)
        {
            value.Fields.Add(new(field, ReadValue()));
        }

        return value;
    }

    private HessianMap ReadMapBody(HessianMap map)
    {
        _references.Add(map);
        while (Peek() != (byte)'Z')
        {
            var key = ReadValue();
            map.Entries.Add(new(key, ReadValue()));
        }

        _position++;
        return map;
    }

    private HessianList ReadVariableList(HessianList list)
    {
        _references.Add(list);
        while (Peek() != (byte)'Z')
        {
            list.Items.Add(ReadValue());
        }

        _position++;
        return list;
    }

    private HessianList ReadFixedList(HessianList list, int count)
    {
        if (count < 0 || count > _data.Length - _position)
        {
            throw new HessianFormatException($"list length {count} exceeds the {_data.Length - _position} bytes left");
        }

        _references.Add(list);
        for (var i = 0; i < count; i++)
        {
            list.Items.Add(ReadValue());
        }

        return list;
    }

    /// <summary>A type: a string (remembered) or an int index into the types seen so far.</summary>
    private string ReadType()
    {
        var tag = Peek();
        if (tag <= 0x1f || tag is >= 0x30 and <= 0x33 || tag is (byte)'R' or (byte)'S')
        {
            var type = ReadString()!;
            _types.Add(type);
            return type;
        }

        var index = ReadInt();
        return index >= 0 && index < _types.Count
            ? _types[index]
            : throw new HessianFormatException($"type reference {index} points past the {_types.Count} types read");
    }

    private string ReadChunkedString(byte tag)
    {
        var builder = new StringBuilder();
        while (true)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(ReadBytes(2));
            ReadUnits(length, tag == (byte)'S', builder);
            if (tag == (byte)'S')
            {
                return builder.ToString();
            }

            tag = ReadByte();
            switch (tag)
            {
                case (byte)'R' or (byte)'S':
                    continue;
                case <= 0x1f:
                    return ReadUnits(tag, true, builder).ToString();
                case >= 0x30 and <= 0x33:
                    return ReadUnits(((tag - 0x30) << 8) | ReadByte(), true, builder).ToString();
                default:
                    throw new HessianFormatException($"string chunk followed by tag 0x{tag:x2}");
            }
        }
    }

    private byte[] ReadChunkedBinary(byte tag)
    {
        var result = new List<byte>();
        while (true)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(ReadBytes(2));
            result.AddRange(ReadBytes(length));
            if (tag == (byte)'B')
            {
                return [.. result];
            }

            tag = ReadByte();
            switch (tag)
            {
                case (byte)'A' or (byte)'B':
                    continue;
                case >= 0x20 and <= 0x2f:
                    result.AddRange(ReadBytes(tag - 0x20));
                    return [.. result];
                case >= 0x34 and <= 0x37:
                    result.AddRange(ReadBytes(((tag - 0x34) << 8) | ReadByte()));
                    return [.. result];
                default:
                    throw new HessianFormatException($"binary chunk followed by tag 0x{tag:x2}");
            }
        }
    }

    /// <summary>Reads <paramref name="units"/> UTF-16 units; a 4-byte UTF-8 sequence counts as two.</summary>
    private StringBuilder ReadUnits(int units, bool final, StringBuilder builder)
    {
        _ = final;
        var read = 0;
        while (read < units)
        {
            var b = ReadByte();
            if (b < 0x80)
            {
                builder.Append((char)b);
                read++;
            }
            else if ((b & 0xe0) == 0xc0)
            {
                builder.Append((char)(((b & 0x1f) << 6) | (ReadByte() & 0x3f)));
                read++;
            }
            else if ((b & 0xf0) == 0xe0)
            {
                builder.Append((char)(((b & 0x0f) << 12) | ((ReadByte() & 0x3f) << 6) | (ReadByte() & 0x3f)));
                read++;
            }
            else if ((b & 0xf8) == 0xf0)
            {
                var code = ((b & 0x07) << 18) | ((ReadByte() & 0x3f) << 12) | ((ReadByte() & 0x3f) << 6) | (ReadByte() & 0x3f);
                if (code > 0x10ffff)
                {
                    throw new HessianFormatException($"invalid code point 0x{code:x} in a string");
                }

                builder.Append(char.ConvertFromUtf32(code));
                read += 2;
            }
            else
            {
                throw new HessianFormatException($"invalid UTF-8 lead byte 0x{b:x2} in a string");
            }
        }

        return builder;
    }

    private byte ReadByte()
    {
        if (_position >= _data.Length)
        {
            throw new HessianFormatException("unexpected end of hessian2 data");
        }

        return _data[_position++];
    }

    private readonly byte Peek() => _position < _data.Length
        ? _data[_position]
        : throw new HessianFormatException("unexpected end of hessian2 data");

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new HessianFormatException($"{count} bytes expected, {_data.Length - _position} left");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private static string Describe(object? value) => value?.GetType().Name ?? "null";
}
