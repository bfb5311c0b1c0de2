using Gatehouse.Gateway.Grpc.Transcoding;

namespace Gatehouse.Gateway.Tests.Grpc.Transcoding;

public sealed class ProtoTimeTests
{
    [Theory]
    [InlineData(0, 0, "1970-01-01T00:00:00Z")]
    [InlineData(1, 500_000_000, "1970-01-01T00:00:01.500Z")]
    [InlineData(1, 1_000, "1970-01-01T00:00:01.000001Z")]
    [InlineData(1, 1, "1970-01-01T00:00:01.000000001Z")]
    [InlineData(-62135596800, 0, "0001-01-01T00:00:00Z")]
    [InlineData(253402300799, 999_999_999, "9999-12-31T23:59:59.999999999Z")]
    public void Timestamp_FormatsAndParsesBack(long seconds, int nanos, string text)
    {
        Assert.Equal(text, ProtoTime.FormatTimestamp(seconds, nanos));
        Assert.Equal((seconds, nanos), ProtoTime.ParseTimestamp(text, "at"));
    }

    [Theory]
    [InlineData(0, 0, "0s")]
    [InlineData(1, 500_000_000, "1.500s")]
    [InlineData(-1, -500_000_000, "-1.500s")]
    [InlineData(0, -1, "-0.000000001s")]
    [InlineData(315576000000, 0, "315576000000s")]
    public void Duration_FormatsAndParsesBack(long seconds, int nanos, string text)
    {
        Assert.Equal(text, ProtoTime.FormatDuration(seconds, nanos));
        Assert.Equal((seconds, nanos), ProtoTime.ParseDuration(text, "took"));
    }

    [Theory]
    [InlineData("2024-13-01T00:00:00Z")]
    [InlineData("2024-01-01 00:00:00Z")]
    [InlineData("2024-01-01T00:00:00")]
    [InlineData("2024-01-01T00:00:00.1234567890Z")]
    [InlineData("2024-01-01T00:00:00+0100")]
    public void ParseTimestamp_Malformed_Throws(string text)
        => Assert.Throws<FormatException>(() => ProtoTime.ParseTimestamp(text, "at"));

    [Theory]
    [InlineData("1")]
    [InlineData("1.s")]
    [InlineData("s")]
    [InlineData("1.0000000001s")]
    [InlineData("315576000001s")]
    public void ParseDuration_Malformed_Throws(string text)
        => Assert.Throws<FormatException>(() => ProtoTime.ParseDuration(text, "took"));

    [Fact]
    public void Format_OutOfRange_Throws()
    {
        Assert.Throws<FormatException>(() => ProtoTime.FormatTimestamp(253402300800, 0));
        Assert.Throws<FormatException>(() => ProtoTime.FormatDuration(1, -1));
    }
}
