using Gatehouse.Gateway.Grpc;

namespace Gatehouse.Gateway.Tests.Grpc;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("1500u", 15_000L)]
    [InlineData("1n", 1L)]
    [InlineData("250n", 3L)]
    [InlineData("0m", 0L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void TryParse_EveryUnit(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData("123456789S")]
    [InlineData("10 S")]
    public void TryParse_Malformed_False(string value) => Assert.False(GrpcTimeout.TryParse(value, out _));

    [Fact]
    public void Bound_IsTheShorterOfTheApiTimeoutAndTheHeader()
    {
        var api = TimeSpan.FromSeconds(2);
        Assert.Equal(TimeSpan.FromMilliseconds(300), GrpcTimeout.Bound(api, "300m"));
        Assert.Equal(api, GrpcTimeout.Bound(api, "5S"));
        Assert.Equal(TimeSpan.FromSeconds(5), GrpcTimeout.Bound(Timeout.InfiniteTimeSpan, "5S"));
        Assert.Equal(api, GrpcTimeout.Bound(api, null));
        Assert.Equal(api, GrpcTimeout.Bound(api, "soon"));
        Assert.Equal(Timeout.InfiniteTimeSpan, GrpcTimeout.Bound(Timeout.InfiniteTimeSpan, null));

        // Beyond what a timer can wait for: as good as no deadline.
        Assert.Equal(Timeout.InfiniteTimeSpan, GrpcTimeout.Bound(Timeout.InfiniteTimeSpan, "99999999H"));
    }
}
