using System.Buffers;
using System.Buffers.Binary;
using System.Collections;

namespace Gatehouse.Dubbo.Hessian;

/// <summary>
/// Writes hessian2 (http://hessian.caucho.com/doc/hessian-serialization.html) into a growable buffer, using the
/// compact forms Caucho's Hessian2Output uses so that any reader (Java, hessian.js) accepts the output.
/// </summary>
/// <remarks>
/// Strings are counted and written as Java sees them: in UTF-16 code units, each encoded on its own (a non-BMP
/// character is a surrogate pair of two 3-byte sequences, as Java's modified UTF-8 does); long strings are cut into
/// 32768-unit chunks that never split a pair. Lists, maps and objects written twice (same instance) are written the
/// second time as a reference, so shared and cyclic graphs survive.
/// </remarks>
public sealed partial class Hessian2Writer
{
    private const int ChunkUnits = 0x8000;
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly Dictionary<string, int> _classDefinitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _types = new(StringComparer.Ordinal);
    private Dictionary<object, int>? _references;
    private int _referenceCount;

    /// <summary>Creates a writer over <paramref name="buffer"/> (a new one when null).</summary>
    public Hessian2Writer(ArrayBufferWriter<byte>? buffer = null) => _buffer = buffer ?? new ArrayBufferWriter<byte>(256);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    /// <summary>Writes any supported value, dispatching on its runtime type.</summary>
    public void WriteValue(object? value)
    {
        switch (value)
        {
            case null: WriteNull(); break;
            case bool b: WriteBoolean(b); break;
            case int i: WriteInt(i); break;
            case short s: WriteInt(s); break;
            case byte by: WriteInt(by); break;
            case long l: WriteLong(l); break;
            case double d: WriteDouble(d); break;
            case float f: WriteDouble(f); break;
            case decimal m: WriteDouble((double)m); break;
            case string str: WriteString(str); break;
            case char c: WriteString(c.ToString()); break;
            case byte[] bytes: WriteBinary(bytes); break;
            case DateTime dt: WriteDate(dt); break;
            case DateTimeOffset dto: WriteDate(dto.UtcDateTime); break;
            case HessianObject obj: WriteObject(obj); break;
            case HessianList list: WriteList(list); break;
            case HessianMap map: WriteMap(map); break;
            case IDictionary dictionary: WriteDictionary(dictionary); break;
            case IEnumerable sequence: WriteSequence(sequence); break;
            default: throw new ArgumentException($"hessian2 cannot write a {value.GetType().Name}", nameof(value));
        }
    }

    /// <summary>'N'.</summary>
    public void WriteNull() => WriteByte((byte)'N');

    /// <summary>'T' or 'F'.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)'T' : (byte)'F');

    /// <summary>An int in its shortest form (1, 2, 3 or 5 bytes).</summary>
    public void WriteInt(int value)
    {
        if (value is >= -16 and <= 47)
        {
            WriteByte((byte)(0x90 + value));
        }
        else if (value is >= -2048 and <= 2047)
        {
            var span = _buffer.GetSpan(2);
            span[0] = (byte)(0xc8 + (value >> 8));
            span[1] = (byte)value;
            _buffer.Advance(2);
        }
        else if (value is >= -262144 and <= 262143)
        {
            var span = _buffer.GetSpan(3);
            span[0] = (byte)(0xd4 + (value >> 16));
            span[1] = (byte)(value >> 8);
            span[2] = (byte)value;
            _buffer.Advance(3);
        }
        else
        {
            var span = _buffer.GetSpan(5);
            span[0] = (byte)'I';
            BinaryPrimitives.WriteInt32BigEndian(span[1..], value);
            _buffer.Advance(5);
        }
    }

    /// <summary>A long in its shortest form (1, 2, 3, 5 or 9 bytes).</summary>
    public void WriteLong(long value)
    {
        if (value is >= -8 and <= 15)
        {
            WriteByte((byte)(0xe0 + value));
        }
        else if (value is >= -2048 and <= 2047)
        {
            var span = _buffer.GetSpan(2);
            span[0] = (byte)(0xf8 + (value >> 8));
            span[1] = (byte)value;
            _buffer.Advance(2);
        }
        else if (value is >= -262144 and <= 262143)
        {
            var span = _buffer.GetSpan(3);
            span[0] = (byte)(0x3c + (value >> 16));
            span[1] = (byte)(value >> 8);
            span[2] = (byte)value;
            _buffer.Advance(3);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            var span = _buffer.GetSpan(5);
            span[0] = 0x59;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            _buffer.Advance(5);
        }
        else
        {
            var span = _buffer.GetSpan(9);
            span[0] = (byte)'L';
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            _buffer.Advance(9);
        }
    }

    /// <summary>A double: 0.0, 1.0, a whole byte or short, else the 8-byte IEEE form.</summary>
    /// <remarks>
    /// NOTE: the 0x5f form is not written: the spec calls it a 32-bit float, Caucho's implementation (and hessian.js)
    /// a whole number of thousandths; the reader accepts Caucho's meaning, the writer avoids the ambiguity.
    /// </remarks>
    public void WriteDouble(double value)
    {
        if (value == 0.0 && !double.IsNegative(value))
        {
            WriteByte(0x5b);
        }
        else if (value == 1.0)
        {
            WriteByte(0x5c);
        }
        else if (value is >= -128 and <= 127 && Math.Floor(value) == value)
        {
            var span = _buffer.GetSpan(2);
            span[0] = 0x5d;
            span[1] = (byte)(sbyte)value;
            _buffer.Advance(2);
        }
        else if (value is >= -32768 and <= 32767 && Math.Floor(value) == value)
        {
            var span = _buffer.GetSpan(3);
            span[0] = 0x5e;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            _buffer.Advance(3);
        }
        else
        {
            var span = _buffer.GetSpan(9);
            span[0] = (byte)'D';
            BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
            _buffer.Advance(9);
        }
    }

    /// <summary>A date as milliseconds since the epoch ('J'; the compact minutes form when exact).</summary>
    public void WriteDate(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        var ms = (long)(utc - DateTime.UnixEpoch).TotalMilliseconds;
        if (ms % 60000 == 0 && ms / 60000 is >= int.MinValue and <= int.MaxValue)
        {
            var span = _buffer.GetSpan(5);
            span[0] = 0x4b;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)(ms / 60000));
            _buffer.Advance(5);
            return;
        }

        var full = _buffer.GetSpan(9);
        full[0] = 0x4a;
        BinaryPrimitives.WriteInt64BigEndian(full[1..], ms);
        _buffer.Advance(9);
    }

    /// <summary>A string: compact forms up to 1023 units, else 'R' chunks ending in an 'S' chunk.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteNull();
            return;
        }

        var rest = value.AsSpan();
        while (rest.Length > ChunkUnits)
        {
            var length = ChunkUnits;
            if (char.IsHighSurrogate(rest[length - 1]))
            {
                length--;
            }

            WriteChunkHeader((byte)'R', length);
            WriteUnits(rest[..length]);
            rest = rest[length..];
        }

        if (rest.Length <= 31)
        {
            WriteByte((byte)rest.Length);
        }
        else if (rest.Length <= 1023)
        {
            var span = _buffer.GetSpan(2);
            span[0] = (byte)(0x30 + (rest.Length >> 8));
            span[1] = (byte)rest.Length;
            _buffer.Advance(2);
        }
        else
        {
            WriteChunkHeader((byte)'S', rest.Length);
        }

        WriteUnits(rest);
    }

    /// <summary>Binary data: compact forms up to 1023 bytes, else 'A' chunks ending in a 'B' chunk.</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        while (value.Length > ChunkUnits)
        {
            WriteChunkHeader((byte)'A', ChunkUnits);
            _buffer.Write(value[..ChunkUnits]);
            value = value[ChunkUnits..];
        }

        if (value.Length <= 15)
        {
            WriteByte((byte)(0x20 + value.Length));
        }
        else if (value.Length <= 1023)
        {
            var span = _buffer.GetSpan(2);
            span[0] = (byte)(0x34 + (value.Length >> 8));
            span[1] = (byte)value.Length;
            _buffer.Advance(2);
        }
        else
        {
            WriteChunkHeader((byte)'B', value.Length);
        }

        _buffer.Write(value);
    }

    private void WriteChunkHeader(byte tag, int length)
    {
        var span = _buffer.GetSpan(3);
        span[0] = tag;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
        _buffer.Advance(3);
    }

    /// <summary>Each UTF-16 unit as 1, 2 or 3 bytes (surrogates on their own: Java's modified UTF-8 without the NUL rule).</summary>
    private void WriteUnits(ReadOnlySpan<char> units)
    {
        var span = _buffer.GetSpan(units.Length * 3);
        var n = 0;
        foreach (var c in units)
        {
            if (c < 0x80)
            {
                span[n++] = (byte)c;
            }
            else if (c < 0x800)
            {
                span[n++] = (byte)(0xc0 | (c >> 6));
                span[n++] = (byte)(0x80 | (c & 0x3f));
            }
            else
            {
                span[n++] = (byte)(0xe0 | (c >> 12));
                span[n++] = (byte)(0x80 | ((c >> 6) & 0x3f));
                span[n++] = (byte)(0x80 | (c & 0x3f));
            }
        }

        _buffer.Advance(n);
    }

    private void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }
}
