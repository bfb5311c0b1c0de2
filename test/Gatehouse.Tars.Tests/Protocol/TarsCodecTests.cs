using System.Buffers;
using System.Buffers.Binary;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Protocol;

namespace Gatehouse.Tars.Tests.Protocol;

public sealed class TarsCodecTests
{
    private static byte[] Frame(Action<TarsWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Advance(0);
        write(new TarsWriter(output));
        var packet = output.WrittenSpan.ToArray();
        var framed = new byte[packet.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(framed, framed.Length);
        packet.CopyTo(framed, 4);
        return framed;
    }

    [Fact]
    public void WriteRequest_LengthPrefixCountsItselfAndFieldsAreTagged1To10()
    {
        var output = new ArrayBufferWriter<byte>();
        TarsCodec.WriteRequest(77, new TarsInvocation(TarsVersion.TupSimple, "A.B.C", "f", new byte[] { 1, 2 }, [new("k", "v")]), 1500, output);
        var frame = output.WrittenSpan;
        Assert.Equal(frame.Length, BinaryPrimitives.ReadInt32BigEndian(frame));
        Assert.Equal(frame.Length, TarsCodec.ReadLength(frame));

        var reader = new TarsReader(frame[4..]);
        Assert.Equal(3, reader.ReadIntegerField(1));
        Assert.Equal(0, reader.ReadIntegerField(2));
        Assert.Equal(0, reader.ReadIntegerField(3));
        Assert.Equal(77, reader.ReadIntegerField(4));
        Assert.Equal("A.B.C", reader.ReadStringField(5));
        Assert.Equal("f", reader.ReadStringField(6));
        Assert.Equal(new byte[] { 1, 2 }, reader.ReadBytesField(7).ToArray());
        Assert.Equal(1500, reader.ReadIntegerField(8));
        Assert.Equal("v", reader.ReadStringMapField(9)!["k"]);
        Assert.Empty(reader.ReadStringMapField(10)!);
        Assert.True(reader.End);
    }

    [Fact]
    public void ReadResponse_ResponsePacket_ReturnCodeBufferDescAndContext()
    {
        var frame = Frame(w =>
        {
            w.WriteInt16(1, 1);
            w.WriteInt8(2, 0);
            w.WriteInt32(3, 123456);
            w.WriteInt32(4, 0);
            w.WriteInt32(5, -3);
            w.WriteBytes(6, new byte[] { 9 });
            w.WriteStringMap(7, null);
            w.WriteString(8, "no function");
            w.WriteStringMap(9, [new("c", "d")]);
        });

        var response = TarsCodec.ReadResponse(frame.AsSpan(4));

        Assert.Equal((123456, (short)1, -3, "no function"), (response.RequestId, response.Version, response.ReturnCode, response.ResultDesc));
        Assert.Equal(new byte[] { 9 }, response.Buffer);
        Assert.Equal("d", response.Context!["c"]);
    }

    [Fact]
    public void ReadResponse_TupAnswer_ReturnCodeFromTheStatusMap()
    {
        var frame = Frame(w =>
        {
            w.WriteInt16(1, 3);
            w.WriteInt8(2, 0);
            w.WriteInt32(3, 0);
            w.WriteInt32(4, 42);
            w.WriteString(5, "A.B.C");
            w.WriteString(6, "f");
            w.WriteBytes(7, new byte[] { 8, 8 });
            w.WriteInt32(8, 0);
            w.WriteStringMap(9, null);
            w.WriteStringMap(10, [new("STATUS_RESULT_CODE", "-7"), new("STATUS_RESULT_DESC", "late")]);
        });

        var response = TarsCodec.ReadResponse(frame.AsSpan(4));

        Assert.Equal((42, (short)3, -7, "late"), (response.RequestId, response.Version, response.ReturnCode, response.ResultDesc));
        Assert.Equal(new byte[] { 8, 8 }, response.Buffer);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(TarsCodec.MaxPacketLength + 1)]
    public void ReadLength_OutOfRange_Throws(int length)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        Assert.Throws<TarsProtocolException>(() => TarsCodec.ReadLength(header));
    }

    [Fact]
    public void ReadResponse_Truncated_ThrowsProtocolException()
    {
        var frame = Frame(w =>
        {
            w.WriteInt16(1, 1);
            w.WriteInt32(3, 1);
            w.WriteString(8, "cut here");
        });
        Assert.Throws<TarsProtocolException>(() => TarsCodec.ReadResponse(frame.AsSpan(4, frame.Length - 7)));
    }

    [Fact]
    public void Tup_EncodeDecode_NamedValuesRoundTrip()
    {
        var buffer = Tup.Encode([new("", new byte[] { 0x0C }), new("name", new byte[] { 0x06, 1, (byte)'x' })]);
        var values = Tup.Decode(buffer);
        Assert.Equal(new byte[] { 0x0C }, values[""].ToArray());
        Assert.Equal(new byte[] { 0x06, 1, (byte)'x' }, values["name"].ToArray());
    }
}
