using System.Diagnostics;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Observability;

public class GatewayTracingTests
{
    [Theory]
    [InlineData(ActivityTraceFlags.None, "00")]
    [InlineData(ActivityTraceFlags.Recorded, "01")]
    public void FormatTraceparent_W3CForm_RoundTrips(ActivityTraceFlags flags, string hexFlags)
    {
        var traceId = ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c");
        var spanId = ActivitySpanId.CreateFromString("b7ad6b7169203331");
        var (high, low) = GatewayTracing.Split(traceId);
        var text = GatewayTracing.FormatTraceparent(high, low, GatewayTracing.ToUInt64(spanId), (byte)flags);
        Assert.Equal($"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{hexFlags}", text);
        Assert.True(ActivityContext.TryParse(text, null, out var parsed));
        Assert.Equal(traceId, parsed.TraceId);
        Assert.Equal(spanId, parsed.SpanId);
        Assert.Equal(flags, parsed.TraceFlags);
        Assert.True(GatewayTracing.TryParseTraceparent(text, out var ours));
        Assert.Equal(new TraceIds(high, low, GatewayTracing.ToUInt64(spanId), (byte)flags), ours);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", GatewayTracing.FormatTraceId(high, low));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01", false)] // all-zero trace id is invalid
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false)] // all-zero parent id is invalid
    [InlineData("garbage", false)]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", false)]  // upper-case hex is invalid
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false)]  // version ff is invalid
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", false)] // version 00 is exactly 55
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future", true)] // later versions may extend
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01", false)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01", false)]
    public void TryReadParent_AcceptsOnlyValidTraceparent(string? header, bool valid)
    {
        var headers = new HeaderDictionary();
        if (header is not null)
        {
            headers["traceparent"] = header;
        }

        Assert.Equal(valid, GatewayTracing.TryReadParent(headers, out var parent));
        if (valid)
        {
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", GatewayTracing.FormatTraceId(parent.TraceHigh, parent.TraceLow));
            Assert.Equal(0xb7ad6b7169203331UL, parent.SpanId);
            Assert.Equal(1, parent.Flags);
        }
    }

    [Fact]
    public void TryReadParent_RepeatedHeader_Invalid()
    {
        var headers = new HeaderDictionary
        {
            ["traceparent"] = new(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01"]),
        };
        Assert.False(GatewayTracing.TryReadParent(headers, out _));
    }
}
