using System.Buffers;
using System.Text;
using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis.Tests.Protocol;

public sealed class RespWriterTests
{
    [Fact]
    public void WriteCommand_MixedArguments_EncodesArrayOfBulkStrings()
    {
        var output = new ArrayBufferWriter<byte>();
        RespWriter.WriteCommand(output, ["SET"u8.ToArray(), "kéy", -15L, new ReadOnlyMemory<byte>([0, 13, 10])]);
        Assert.Equal("*4\r\n$3\r\nSET\r\n$4\r\nkéy\r\n$3\r\n-15\r\n$3\r\n\0\r\n\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void WriteCommand_LargeArgument_GrowsPooledBuffer()
    {
        using var output = new PooledBufferWriter(16);
        var big = new string('x', 100_000);
        RespWriter.WriteCommand(output, ["GET"u8.ToArray(), big]);
        Assert.True(RespParser.TryParse(output.WrittenMemory.Span, out var parsed, out var consumed));
        Assert.Equal(output.WrittenCount, consumed);
        Assert.Equal(big, parsed[1].AsString());
    }
}
