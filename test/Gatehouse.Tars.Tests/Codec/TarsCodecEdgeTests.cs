using System.Buffers;
using Gatehouse.Tars.Codec;

namespace Gatehouse.Tars.Tests.Codec;

/// <summary>The encoding's edge cases: head bytes, tags of 15 and more, integer compaction boundaries, negative numbers, truncated input.</summary>
public sealed class TarsCodecEdgeTests
{
    private static byte[] Write(Action<TarsWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(new TarsWriter(output));
        return output.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(0, new byte[] { 0x02 })]
    [InlineData(14, new byte[] { 0xE2 })]
    [InlineData(15, new byte[] { 0xF2, 15 })]
    [InlineData(20, new byte[] { 0xF2, 20 })]
    [InlineData(255, new byte[] { 0xF2, 255 })]
    public void WriteHead_TagsFrom15_TakeASecondByte(int tag, byte[] expected)
    {
        var bytes = Write(w => w.WriteHead(tag, TarsHeadType.Int32));
        Assert.Equal(expected, bytes);
        var reader = new TarsReader(bytes);
        Assert.Equal((tag, TarsHeadType.Int32), reader.ReadHead());
        Assert.True(reader.End);
    }

    [Fact]
    public void WriteHead_TagAbove255_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Write(w => w.WriteHead(256, TarsHeadType.Int8)));

    [Theory]
    [InlineData(0L, TarsHeadType.Zero, 1)]
    [InlineData(1L, TarsHeadType.Int8, 2)]
    [InlineData(-1L, TarsHeadType.Int8, 2)]
    [InlineData(127L, TarsHeadType.Int8, 2)]
    [InlineData(-128L, TarsHeadType.Int8, 2)]
    [InlineData(128L, TarsHeadType.Int16, 3)]
    [InlineData(-129L, TarsHeadType.Int16, 3)]
    [InlineData(32767L, TarsHeadType.Int16, 3)]
    [InlineData(-32768L, TarsHeadType.Int16, 3)]
    [InlineData(32768L, TarsHeadType.Int32, 5)]
    [InlineData(-32769L, TarsHeadType.Int32, 5)]
    [InlineData(2147483647L, TarsHeadType.Int32, 5)]
    [InlineData(-2147483648L, TarsHeadType.Int32, 5)]
    [InlineData(2147483648L, TarsHeadType.Int64, 9)]
    [InlineData(-2147483649L, TarsHeadType.Int64, 9)]
    [InlineData(long.MaxValue, TarsHeadType.Int64, 9)]
    [InlineData(long.MinValue, TarsHeadType.Int64, 9)]
    public void WriteInt64_CompactsToTheNarrowestWidth(long value, TarsHeadType type, int length)
    {
        var bytes = Write(w => w.WriteInt64(3, value));
        Assert.Equal(length, bytes.Length);
        var reader = new TarsReader(bytes);
        var (tag, read) = reader.ReadHead();
        Assert.Equal(3, tag);
        Assert.Equal(type, read);
        Assert.Equal(value, reader.ReadInteger(read));
        Assert.True(reader.End);
    }

    [Fact]
    public void Integers_AreBigEndian()
    {
        Assert.Equal(new byte[] { 0x01, 0x01, 0x00 }, Write(w => w.WriteInt16(0, 256)));
        Assert.Equal(new byte[] { 0x02, 0xFF, 0xFF, 0x7F, 0xFF }, Write(w => w.WriteInt32(0, -32769)));
    }

    [Fact]
    public void FloatsAndDoubles_ZeroCompactedOthersBigEndian()
    {
        Assert.Equal(new byte[] { 0x0C }, Write(w => w.WriteFloat(0, 0f)));
        Assert.Equal(new byte[] { 0x0C }, Write(w => w.WriteDouble(0, -0.0)));
        Assert.Equal(new byte[] { 0x04, 0x3F, 0xC0, 0, 0 }, Write(w => w.WriteFloat(0, 1.5f)));
        var reader = new TarsReader(Write(w => w.WriteDouble(0, -1e-300)));
        Assert.Equal(-1e-300, reader.ReadFloating(reader.ReadHead().Type));
    }

    [Theory]
    [InlineData(0, TarsHeadType.String1)]
    [InlineData(255, TarsHeadType.String1)]
    [InlineData(256, TarsHeadType.String4)]
    [InlineData(70000, TarsHeadType.String4)]
    public void WriteString_String1UpTo255Bytes(int length, TarsHeadType type)
    {
        var text = new string('x', length);
        var bytes = Write(w => w.WriteString(1, text));
        var reader = new TarsReader(bytes);
        var (_, read) = reader.ReadHead();
        Assert.Equal(type, read);
        Assert.Equal(text, reader.ReadString(read));
        Assert.True(reader.End);
    }

    [Fact]
    public void WriteString_LengthCountsUtf8Bytes()
    {
        // 128 two-byte characters: 256 bytes, so String4 although the string has 128 chars.
        var bytes = Write(w => w.WriteString(0, new string('é', 128)));
        Assert.Equal((byte)TarsHeadType.String4, bytes[0]);
    }

    [Fact]
    public void WriteBytes_IsASimpleListOfInt8()
    {
        var bytes = Write(w => w.WriteBytes(2, new byte[] { 9, 8, 7 }));
        Assert.Equal(new byte[] { 0x2D, 0x00, 0x00, 3, 9, 8, 7 }, bytes);
        var reader = new TarsReader(bytes);
        Assert.Equal(new byte[] { 9, 8, 7 }, reader.ReadBytes(reader.ReadHead().Type).ToArray());
    }

    [Fact]
    public void Struct_SkipToTag_SkipsLowerTagsAndStopsAtHigherOrEnd()
    {
        var bytes = Write(w =>
        {
            w.WriteInt32(1, 5);
            w.BeginStruct(2);
            w.WriteString(0, "inner");
            w.BeginList(1, 2);
            w.WriteInt32(0, 1);
            w.WriteInt32(0, 2);
            w.EndStruct();
            w.WriteString(20, "high");
        });
        var reader = new TarsReader(bytes);
        Assert.False(reader.SkipToTag(0));
        Assert.True(reader.SkipToTag(20));
        Assert.Equal("high", reader.ReadStringField(20));
        Assert.True(reader.End);
    }

    public static TheoryData<byte[]> Truncated => new()
    {
        Array.Empty<byte>(),
        new byte[] { 0xF2 },                   // extended tag byte missing
        new byte[] { 0x02, 0x00, 0x01 },       // int32 cut short
        new byte[] { 0x06, 5, (byte)'a' },     // string1 of 5, 1 byte present
        new byte[] { 0x07, 0, 0, 0x10, 0 },    // string4 of 4096
        new byte[] { 0x0D, 0x00, 0x00, 10, 1 },// simple list of 10, 1 byte present
        new byte[] { 0x09, 0x02, 0x7F, 0xFF, 0xFF, 0xFF }, // list claiming 2^31-1 elements
        new byte[] { 0x0A, 0x02, 0, 0, 0, 1 }, // struct without its end
    };

    [Theory]
    [MemberData(nameof(Truncated))]
    public void Reader_TruncatedOrOversizedInput_ThrowsTarsFormatException(byte[] bytes)
    {
        Assert.Throws<TarsFormatException>(() =>
        {
            var reader = new TarsReader(bytes);
            reader.Skip(reader.ReadHead().Type);
            if (!reader.End)
            {
                reader.Skip(reader.ReadHead().Type);
            }
        });
    }

    [Fact]
    public void Reader_NegativeString4Length_Throws()
        => Assert.Throws<TarsFormatException>(() =>
        {
            var reader = new TarsReader(new byte[] { 0x07, 0xFF, 0xFF, 0xFF, 0xFF });
            reader.ReadString(reader.ReadHead().Type);
        });

    [Fact]
    public void Reader_UnknownType_Throws()
        => Assert.Throws<TarsFormatException>(() => new TarsReader(new byte[] { 0x0E }).ReadHead());

    [Fact]
    public void Reader_TypeMismatch_Throws()
        => Assert.Throws<TarsFormatException>(() =>
        {
            var reader = new TarsReader(new byte[] { 0x06, 0 });
            reader.ReadInteger(reader.ReadHead().Type);
        });

    [Fact]
    public void Reader_DeepNesting_IsRefused()
    {
        var bytes = new byte[TarsReader.MaxDepth + 2];
        Array.Fill(bytes, (byte)0x0A);
        Assert.Throws<TarsFormatException>(() =>
        {
            var reader = new TarsReader(bytes);
            reader.Skip(reader.ReadHead().Type);
        });
    }
}
