using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Observability;

namespace Gatehouse.Gateway.Tests.Forwarding;

public class HttpForwarderGrpcStatusTests
{
    [Fact]
    public void ReadGrpcStatus_FromTrailers()
    {
        using var response = new HttpResponseMessage();
        response.TrailingHeaders.TryAddWithoutValidation("grpc-status", "14");
        Assert.Equal(14, HttpForwarder.ReadGrpcStatus(response));
    }

    [Fact]
    public void ReadGrpcStatus_TrailersOnlyResponse_FromHeaders()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("grpc-status", "5");
        Assert.Equal(5, HttpForwarder.ReadGrpcStatus(response));
    }

    [Fact]
    public void ReadGrpcStatus_TrailersWinOverHeaders()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("grpc-status", "0");
        response.TrailingHeaders.TryAddWithoutValidation("grpc-status", "13");
        Assert.Equal(13, HttpForwarder.ReadGrpcStatus(response));
    }

    [Fact]
    public void ReadGrpcStatus_NoneOrMalformed_IsNone()
    {
        using var none = new HttpResponseMessage();
        Assert.Equal(GrpcStatus.None, HttpForwarder.ReadGrpcStatus(none));

        using var malformed = new HttpResponseMessage();
        malformed.TrailingHeaders.TryAddWithoutValidation("grpc-status", "fourteen");
        Assert.Equal(GrpcStatus.None, HttpForwarder.ReadGrpcStatus(malformed));
    }
}
