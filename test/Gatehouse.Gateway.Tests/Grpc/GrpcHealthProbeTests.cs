using Gatehouse.Gateway.Grpc;

namespace Gatehouse.Gateway.Tests.Grpc;

public sealed class GrpcHealthProbeTests
{
    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x01 }, 1)]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x02 }, 2)]
    [InlineData(new byte[] { 0, 0, 0, 0, 0 }, 0)]
    // An unknown length-delimited field 2 ("ab") before the status is skipped.
    [InlineData(new byte[] { 0, 0, 0, 0, 6, 0x12, 0x02, (byte)'a', (byte)'b', 0x08, 0x01 }, 1)]
    public void ReadServingStatus_ReadsField1(byte[] body, int status) => Assert.Equal(status, GrpcHealthProbe.ReadServingStatus(body));

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 2, 0x08, 0x01 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 3, 0x08, 0x01 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x81 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x12, 0x05 })]
    public void ReadServingStatus_Malformed_MinusOne(byte[] body) => Assert.Equal(-1, GrpcHealthProbe.ReadServingStatus(body));
}
