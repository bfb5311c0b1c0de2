using System.Buffers;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Dubbo.Protocol;

namespace Gatehouse.Dubbo.Tests.Protocol;

public sealed class DubboCodecTests
{
    [Fact]
    public void WriteRequest_HeaderAndBody_DubboLayout()
    {
        var output = new ArrayBufferWriter<byte>();
        var invocation = new DubboInvocation("com.example.Calc", "1.0.0", "g1", "add", "II", [1, 2],
            [new("x-user", "ann")]);
        DubboCodec.WriteRequest(0x0102030405060708, invocation, 3000, output);
        var frame = output.WrittenSpan;

        var header = DubboHeader.Read(frame);
        Assert.Equal(0xc2, header.Flags);
        Assert.True(header.IsRequest && header.IsTwoWay && !header.IsEvent);
        Assert.Equal(2, header.SerializationId);
        Assert.Equal(0x0102030405060708, header.RequestId);
        Assert.Equal(frame.Length - 16, header.BodyLength);
        Assert.Equal("dabbc200" + "0102030405060708", Convert.ToHexString(frame[..12]).ToLowerInvariant());

        var reader = new Hessian2Reader(frame[16..]);
        Assert.Equal("2.0.2", reader.ReadValue());
        Assert.Equal("com.example.Calc", reader.ReadValue());
        Assert.Equal("1.0.0", reader.ReadValue());
        Assert.Equal("add", reader.ReadValue());
        Assert.Equal("II", reader.ReadValue());
        Assert.Equal(1, reader.ReadValue());
        Assert.Equal(2, reader.ReadValue());
        var attachments = Assert.IsType<HessianMap>(reader.ReadValue());
        Assert.True(reader.End);
        Assert.Equal("com.example.Calc", attachments.Get("path"));
        Assert.Equal("com.example.Calc", attachments.Get("interface"));
        Assert.Equal("1.0.0", attachments.Get("version"));
        Assert.Equal("g1", attachments.Get("group"));
        Assert.Equal("3000", attachments.Get("timeout"));
        Assert.Equal("ann", attachments.Get("x-user"));
    }

    [Fact]
    public void WriteRequest_NoVersion_ZeroVersionAndNoGroup()
    {
        var output = new ArrayBufferWriter<byte>();
        DubboCodec.WriteRequest(1, new DubboInvocation("S", null, null, "m", "", []), 0, output);
        var reader = new Hessian2Reader(output.WrittenSpan[16..]);
        for (var i = 0; i < 2; i++)
        {
            reader.ReadValue();
        }

        Assert.Equal("0.0.0", reader.ReadValue());
        reader.ReadValue();
        Assert.Equal("", reader.ReadValue());
        var attachments = Assert.IsType<HessianMap>(reader.ReadValue());
        Assert.Null(attachments.Get("group"));
        Assert.Null(attachments.Get("timeout"));
    }

    [Fact]
    public void WriteHeartbeat_RequestAndReply_EventFlagsAndNullBody()
    {
        var request = new byte[DubboCodec.HeartbeatLength];
        DubboCodec.WriteHeartbeat(9, reply: false, request);
        Assert.Equal("dabbe200000000000000000900000001" + "4e", Convert.ToHexString(request).ToLowerInvariant());
        var reply = new byte[DubboCodec.HeartbeatLength];
        DubboCodec.WriteHeartbeat(9, reply: true, reply);
        Assert.Equal("dabb221400000000000000090000000" + "14e", Convert.ToHexString(reply).ToLowerInvariant());
    }

    [Theory]
    [InlineData("cafe", "bad magic")]
    [InlineData("dabb", "body length")]
    public void ReadHeader_Invalid_ProtocolException(string magic, string message)
    {
        var header = new byte[16];
        Convert.FromHexString(magic).CopyTo(header, 0);
        header[12] = 0x7f;
        var e = Assert.Throws<DubboProtocolException>(() => DubboHeader.Read(header));
        Assert.Contains(message, e.Message);
    }

    public static TheoryData<int, DubboResponseKind, bool> Flags => new()
    {
        { 0, DubboResponseKind.Exception, false }, { 1, DubboResponseKind.Value, false }, { 2, DubboResponseKind.Null, false },
        { 3, DubboResponseKind.Exception, true }, { 4, DubboResponseKind.Value, true }, { 5, DubboResponseKind.Null, true },
    };

    [Theory]
    [MemberData(nameof(Flags))]
    public void ReadResponseBody_EachFlag_KindValueAttachments(int flag, DubboResponseKind kind, bool withAttachments)
    {
        var writer = new Hessian2Writer();
        writer.WriteInt(flag);
        object? value = kind switch
        {
            DubboResponseKind.Value => "result",
            DubboResponseKind.Exception => Throwable("java.lang.IllegalStateException", "boom"),
            _ => null,
        };
        if (kind != DubboResponseKind.Null)
        {
            writer.WriteValue(value);
        }

        if (withAttachments)
        {
            var attachments = new HessianMap();
            attachments.Entries.Add(new("dubbo", "2.0.2"));
            writer.WriteMap(attachments);
        }

        var response = DubboCodec.ReadResponseBody(writer.WrittenMemory.Span);
        Assert.Equal(kind, response.Kind);
        Assert.Equal(withAttachments, response.Attachments is not null);
        if (kind == DubboResponseKind.Exception)
        {
            var info = DubboExceptionInfo.From(response.Value);
            Assert.Equal("java.lang.IllegalStateException", info.ClassName);
            Assert.Equal("boom", info.Message);
        }
        else
        {
            Assert.Equal(value, response.Value);
        }
    }

    [Fact]
    public void ReadResponseBody_UnknownFlag_ProtocolException()
    {
        var writer = new Hessian2Writer();
        writer.WriteInt(9);
        writer.WriteNull();
        Assert.Throws<DubboProtocolException>(() => DubboCodec.ReadResponseBody(writer.WrittenMemory.Span));
    }

    [Fact]
    public void ReadErrorMessage_PlainStringOrFlagThenString_Message()
    {
        var plain = new Hessian2Writer();
        plain.WriteString("service not found");
        Assert.Equal("service not found", DubboCodec.ReadErrorMessage(plain.WrittenMemory.Span));
        var flagged = new Hessian2Writer();
        flagged.WriteInt(3);
        flagged.WriteString("boom");
        Assert.Equal("boom", DubboCodec.ReadErrorMessage(flagged.WrittenMemory.Span));
        Assert.Equal("(undecodable error body)", DubboCodec.ReadErrorMessage(new byte[] { 0x40 }));
    }

    internal static HessianObject Throwable(string className, string message)
    {
        var value = new HessianObject(className);
        value.Fields.Add(new("detailMessage", message));
        value.Fields.Add(new("cause", null));
        value.Fields.Add(new("stackTrace", new HessianList("[java.lang.StackTraceElement")));
        return value;
    }
}
