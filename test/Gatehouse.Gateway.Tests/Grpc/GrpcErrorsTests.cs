using Gatehouse.Gateway.Grpc;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Grpc;

public sealed class GrpcErrorsTests
{
    [Theory]
    [InlineData(GatewayError.ServiceNotFound, 12)]
    [InlineData(GatewayError.ApiNotFound, 12)]
    [InlineData(GatewayError.NoAvailableNode, 14)]
    [InlineData(GatewayError.NoConfig, 14)]
    [InlineData(GatewayError.UpstreamUnreachable, 14)]
    [InlineData(GatewayError.CircuitOpen, 14)]
    [InlineData(GatewayError.UpstreamTimeout, 4)]
    [InlineData(GatewayError.RateLimited, 8)]
    [InlineData(GatewayError.PayloadTooLarge, 8)]
    [InlineData(GatewayError.Unauthorized, 16)]
    [InlineData(GatewayError.BadSignature, 16)]
    [InlineData(GatewayError.Forbidden, 7)]
    [InlineData(GatewayError.BadRequest, 13)]
    [InlineData(GatewayError.LoopDetected, 13)]
    public void Status_MapsEachError(GatewayError error, int status) => Assert.Equal(status, GrpcErrors.Status(error));

    [Fact]
    public void Status_EveryErrorHasACanonicalCode()
    {
        foreach (var error in Enum.GetValues<GatewayError>())
        {
            Assert.InRange(GrpcErrors.Status(error), 1, 16);
        }
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("née", "n%C3%A9e")]
    [InlineData("a\r\nb", "a%0D%0Ab")]
    public void EncodeMessage_PercentEncodesOutsidePrintableAscii(string message, string encoded)
        => Assert.Equal(encoded, GrpcErrors.EncodeMessage(message));

    [Fact]
    public async Task ProblemWriter_GrpcRequest_TrailersOnlyStatusWithoutBody()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/grpc+proto";
        context.Request.Path = "/pkg.Svc/Call";
        var body = new MemoryStream();
        context.Response.Body = body;

        await ProblemWriter.WriteAsync(context, GatewayError.RateLimited, "limit 5 per 1 s", [new("Retry-After", "1")]);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal("8", context.Response.Headers["grpc-status"]);
        Assert.Equal("rate_limited: limit 5 per 1 s", context.Response.Headers["grpc-message"]);
        Assert.Equal("1", context.Response.Headers["Retry-After"]);
        Assert.False(string.IsNullOrEmpty(context.Response.Headers["X-Request-Id"]));
        Assert.Null(context.Response.ContentLength);
        Assert.Equal(0, body.Length);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/grpc-web")]
    [InlineData(null)]
    public async Task ProblemWriter_OtherRequests_ProblemJson(string? contentType)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        context.Response.Body = new MemoryStream();

        await ProblemWriter.WriteAsync(context, GatewayError.RateLimited);

        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        Assert.False(context.Response.Headers.ContainsKey("grpc-status"));
    }
}
