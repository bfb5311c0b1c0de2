using Gatehouse.Gateway.Hosting;

namespace Gatehouse.Gateway.Tests.Hosting;

public sealed class H2cPortValidatorTests
{
    [Fact]
    public void Unset_Valid() => Assert.True(new H2cPortValidator().Validate(null, new GatewayOptions()).Succeeded);

    [Fact]
    public void OwnPort_Valid() => Assert.True(new H2cPortValidator().Validate(null, new GatewayOptions { H2cPort = 8082 }).Succeeded);

    [Theory]
    [InlineData(0, "between 1 and 65535")]
    [InlineData(70000, "between 1 and 65535")]
    [InlineData(8080, "Gatehouse:Gateway:Port")]
    [InlineData(8081, "Gatehouse:Gateway:ControlPort")]
    public void OutOfRangeOrShared_FailsNamingTheKey(int port, string expected)
    {
        var result = new H2cPortValidator().Validate(null, new GatewayOptions { H2cPort = port });

        Assert.True(result.Failed);
        Assert.Contains("Gatehouse:Gateway:H2cPort", result.FailureMessage);
        Assert.Contains(expected, result.FailureMessage);
    }
}
