using Gatehouse.Gateway.Hosting;

namespace Gatehouse.Gateway.Tests.Hosting;

public class GatewayOptionsTests
{
    [Theory]
    [InlineData("0.0.0.0", null, "http://127.0.0.1:8081")]
    [InlineData("::", null, "http://127.0.0.1:8081")]
    [InlineData("10.1.2.3", null, "http://10.1.2.3:8081")]
    [InlineData("fd00::5", null, "http://[fd00::5]:8081")]
    [InlineData("0.0.0.0", "http://gw-1.internal:9001/", "http://gw-1.internal:9001")]
    public void ResolveControlAddress_DefaultsToListenAddressAndControlPort(string listen, string? configured, string expected)
    {
        var options = new GatewayOptions { ListenAddress = listen, ControlAddress = configured };
        Assert.Equal(expected, options.ResolveControlAddress());
    }

    [Fact]
    public void ResolveSnapshotPath_DefaultNamesGroupAndNode()
    {
        var options = new GatewayOptions { Group = "blue", NodeId = "gw-7" };
        Assert.Equal(Path.GetFullPath(Path.Combine("data", "snapshot-blue-gw-7.json")), options.ResolveSnapshotPath());
        options.SnapshotPath = "/var/lib/gatehouse/s.json";
        Assert.Equal("/var/lib/gatehouse/s.json", options.ResolveSnapshotPath());
    }
}
