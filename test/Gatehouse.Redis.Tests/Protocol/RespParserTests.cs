using System.Text;
using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis.Tests.Protocol;

public sealed class RespParserTests
{
    private static RespValue ParseWhole(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.True(RespParser.TryParse(bytes, out var value, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        return value;
    }

    [Fact]
    public void TryParse_SimpleString_ReturnsText()
    {
        var value = ParseWhole("+OK\r\n");
        Assert.Equal(RespType.SimpleString, value.Type);
        Assert.Equal("OK", value.AsString());
    }

    [Fact]
    public void TryParse_Error_KeepsMessage()
    {
        var value = ParseWhole("-NOSCRIPT No matching script.\r\n");
        Assert.True(value.IsError);
        Assert.Equal("NOSCRIPT No matching script.", value.AsString());
    }

    [Theory]
    [InlineData(":0\r\n", 0L)]
    [InlineData(":-42\r\n", -42L)]
    [InlineData(":9223372036854775807\r\n", long.MaxValue)]
    public void TryParse_Integer_ReturnsValue(string text, long expected)
    {
        Assert.Equal(expected, ParseWhole(text).Integer);
    }

    [Fact]
    public void TryParse_BulkStringWithCrlfInside_KeepsBinaryPayload()
    {
        var value = ParseWhole("$7\r\na\r\nb\0cd\r\n");
        Assert.Equal(RespType.BulkString, value.Type);
        Assert.Equal("a\r\nb\0cd"u8.ToArray(), value.Bytes.ToArray());
    }

    [Fact]
    public void TryParse_EmptyBulk_IsNotNull()
    {
        var value = ParseWhole("$0\r\n\r\n");
        Assert.False(value.IsNull);
        Assert.Equal("", value.AsString());
    }

    [Fact]
    public void TryParse_NilBulkAndNilArray_AreNull()
    {
        var bulk = ParseWhole("$-1\r\n");
        Assert.True(bulk.IsNull);
        Assert.Equal(RespType.BulkString, bulk.Type);
        Assert.Null(bulk.AsString());
        var array = ParseWhole("*-1\r\n");
        Assert.True(array.IsNull);
        Assert.Equal(RespType.Array, array.Type);
    }

    [Fact]
    public void TryParse_NestedArrays_KeepsStructure()
    {
        var value = ParseWhole("*3\r\n:1\r\n*2\r\n$3\r\nfoo\r\n$-1\r\n*0\r\n");
        Assert.Equal(3, value.Count);
        Assert.Equal(1, value[0].Integer);
        Assert.Equal(2, value[1].Count);
        Assert.Equal("foo", value[1][0].AsString());
        Assert.True(value[1][1].IsNull);
        Assert.Equal(0, value[2].Count);
        Assert.False(value[2].IsNull);
    }

    [Fact]
    public void TryParse_ErrorInsideArray_IsAnElement()
    {
        var value = ParseWhole("*2\r\n-ERR bad\r\n+OK\r\n");
        Assert.True(value[0].IsError);
        Assert.Equal("OK", value[1].AsString());
    }

    /// <summary>Every prefix of a frame is incomplete (nothing consumed); the whole frame parses.</summary>
    [Theory]
    [InlineData("+PONG\r\n")]
    [InlineData("-ERR wrong\r\n")]
    [InlineData(":12345\r\n")]
    [InlineData("$5\r\nhello\r\n")]
    [InlineData("$-1\r\n")]
    [InlineData("*2\r\n*1\r\n:1\r\n$3\r\nabc\r\n")]
    [InlineData("*3\r\n:1\r\n:0\r\n:250000\r\n")]
    public void TryParse_EveryPartialFrame_ConsumesNothing(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(RespParser.TryParse(bytes.AsSpan(0, length), out _, out var consumed), $"prefix of {length} bytes");
            Assert.Equal(0, consumed);
        }

        Assert.True(RespParser.TryParse(bytes, out _, out var all));
        Assert.Equal(bytes.Length, all);
    }

    /// <summary>A stream of replies split at every possible point is read back as the same replies, in order.</summary>
    [Fact]
    public void TryParse_StreamSplitAtEveryPoint_YieldsSameReplies()
    {
        var stream = Encoding.UTF8.GetBytes("+OK\r\n:7\r\n$3\r\nabc\r\n*2\r\n$-1\r\n-ERR x\r\n$0\r\n\r\n");
        for (var split = 0; split <= stream.Length; split++)
        {
            var replies = new List<string>();
            var buffer = new List<byte>();
            foreach (var chunk in new[] { stream[..split], stream[split..] })
            {
                buffer.AddRange(chunk);
                while (true)
                {
                    var span = buffer.ToArray();
                    if (!RespParser.TryParse(span, out var value, out var consumed))
                    {
                        break;
                    }

                    replies.Add(value.Type == RespType.Array ? $"[{value[0]},{value[1]}]" : value.ToString());
                    buffer.RemoveRange(0, consumed);
                }
            }

            Assert.Equal(["OK", "7", "abc", "[(nil),error: ERR x]", ""], replies);
            Assert.Empty(buffer);
        }
    }

    [Fact]
    public void TryParse_TwoFramesInOneBuffer_ConsumesOnlyTheFirst()
    {
        var bytes = "+A\r\n+B\r\n"u8.ToArray();
        Assert.True(RespParser.TryParse(bytes, out var first, out var consumed));
        Assert.Equal("A", first.AsString());
        Assert.Equal(4, consumed);
    }

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData(":12a\r\n")]
    [InlineData("+OK\n")]
    [InlineData("$3\r\nabcd\r\n")]
    [InlineData("$-5\r\n")]
    [InlineData("*-2\r\n")]
    public void TryParse_Malformed_Throws(string text)
    {
        Assert.Throws<RespProtocolException>(() => RespParser.TryParse(Encoding.UTF8.GetBytes(text), out _, out _));
    }

    [Fact]
    public void TryParse_HugeArrayCountWithoutData_WaitsWithoutAllocating()
    {
        Assert.False(RespParser.TryParse("*100000000\r\n"u8, out _, out var consumed));
        Assert.Equal(0, consumed);
    }
}
