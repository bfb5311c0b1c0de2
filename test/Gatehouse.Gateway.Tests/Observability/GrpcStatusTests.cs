using Gatehouse.Gateway.Observability;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Gateway.Tests.Observability;

public class GrpcStatusTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("14", 14)]
    [InlineData(" 5 ", 5)]
    [InlineData("16", 16)]
    [InlineData("", -1)]
    [InlineData("x", -1)]
    [InlineData("-1", -1)]
    [InlineData("1234", -1)]
    public void Parse_DecimalDigitsOnly(string value, int expected)
    {
        Assert.Equal(expected, GrpcStatus.Parse(value));
    }

    [Fact]
    public void Parse_AbsentOrRepeated_IsNone()
    {
        Assert.Equal(GrpcStatus.None, GrpcStatus.Parse(StringValues.Empty));
        Assert.Equal(GrpcStatus.None, GrpcStatus.Parse(new StringValues(["0", "1"])));
    }

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("Application/GRPC; charset=utf-8", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsGrpcRequest_ByContentType(string? contentType, bool expected)
    {
        Assert.Equal(expected, GrpcStatus.IsGrpcRequest(contentType));
    }

    [Theory]
    [InlineData(0, "OK")]
    [InlineData(5, "NotFound")]
    [InlineData(14, "Unavailable")]
    [InlineData(16, "Unauthenticated")]
    [InlineData(17, "Unknown")]
    public void Name_CanonicalNames(int status, string expected)
    {
        Assert.Equal(expected, GrpcStatus.Name(status));
    }
}
