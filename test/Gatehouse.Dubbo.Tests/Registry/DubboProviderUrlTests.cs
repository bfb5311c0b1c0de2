using Gatehouse.Dubbo.Registry;

namespace Gatehouse.Dubbo.Tests.Registry;

public class DubboProviderUrlTests
{
    // What dubbo.ts 1.0.72 registers (ServiceChunk.register: Node's url.format, then encodeURIComponent) for
    // interface com.gatehouse.test.DemoService, version 1.0.0, group blue, methods echo and add.
    private const string DubboTsName =
        "dubbo%3A%2F%2F192.0.2.2%3A20880%2Fcom.gatehouse.test.DemoService%3Fanyhost%3Dtrue%26application%3Dgatehouse-test%26category%3Dproviders"
        + "%26dubbo%3D2.0.2%26generic%3Dfalse%26heartbeat%3D0%26interface%3Dcom.gatehouse.test.DemoService%26methods%3Decho%252Cadd%26pid%3D4242"
        + "%26revision%3D1.0.0%26side%3Dprovider%26timestamp%3D1765100000000%26version%3D1.0.0%26default.group%3Dblue%26default.delay%3D-1"
        + "%26default.retries%3D2%26default.timeout%3D3000";

    // What Java Dubbo 2.7 registers (ZookeeperRegistry: URL.encode(url.toFullString()), java.net.URLEncoder).
    private const string JavaName =
        "dubbo%3A%2F%2F172.17.0.2%3A20880%2Forg.apache.dubbo.demo.DemoService%3Fanyhost%3Dtrue%26application%3Ddemo-provider%26deprecated%3Dfalse"
        + "%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26group%3Deast%26interface%3Dorg.apache.dubbo.demo.DemoService"
        + "%26methods%3DsayHello%2CsayHelloAsync%26pid%3D4242%26release%3D2.7.8%26side%3Dprovider%26timestamp%3D1600000000000"
        + "%26version%3D1.0.0%26weight%3D200";

    [Fact]
    public void TryParseZNodeName_DubboTsRegistration_ReadsAddressVersionDefaultGroupAndMethods()
    {
        Assert.Null(DubboProviderUrl.TryParseZNodeName(DubboTsName, out var url));

        Assert.Equal("dubbo", url!.Protocol);
        Assert.Equal("192.0.2.2:20880", url.HostPort);
        Assert.Equal("com.gatehouse.test.DemoService", url.Interface);
        Assert.Equal("1.0.0", url.Version);
        Assert.Equal("blue", url.Group);                      // from default.group
        Assert.Equal("echo,add", url.Parameter("methods"));   // the value url.format escaped once more
        Assert.Equal("provider", url.Parameter("side"));
        Assert.Equal(DubboProviderUrl.DefaultWeight, url.Weight);
        Assert.True(url.Enabled);
        Assert.Equal("providers", url.Category);
    }

    [Fact]
    public void TryParseZNodeName_JavaDubboRegistration_ReadsWeightGroupAndVersion()
    {
        Assert.Null(DubboProviderUrl.TryParseZNodeName(JavaName, out var url));

        Assert.Equal("172.17.0.2", url!.Host);
        Assert.Equal(20880, url.Port);
        Assert.Equal("org.apache.dubbo.demo.DemoService", url.Path);
        Assert.Equal("org.apache.dubbo.demo.DemoService", url.Interface);
        Assert.Equal("east", url.Group);
        Assert.Equal("1.0.0", url.Version);
        Assert.Equal(200, url.Weight);
        Assert.Equal("sayHello,sayHelloAsync", url.Parameter("methods"));
        Assert.Equal("1600000000000", url.Parameter("timestamp"));
        Assert.Equal("providers", url.Category);             // Java leaves category out in the provider URL
    }

    [Fact]
    public void TryParseZNodeName_Ipv6HostDisabledAndBareKey_Parsed()
    {
        const string name = "dubbo%3A%2F%2F%5Bfd00%3A%3A5%5D%3A20880%2Fcom.example.OrderService%3Fapplication%3Dorders%26disabled"
            + "%26enabled%3Dfalse%26interface%3Dcom.example.OrderService%26methods%3Dget%26side%3Dprovider";

        Assert.Null(DubboProviderUrl.TryParseZNodeName(name, out var url));

        Assert.Equal("[fd00::5]:20880", url!.HostPort);
        Assert.False(url.Enabled);
        Assert.Equal("disabled", url.Parameter("disabled"));
        Assert.Null(url.Version);
        Assert.Null(url.Group);
    }

    [Theory]
    [InlineData("dubbo://h:1/a?weight=", 100)]
    [InlineData("dubbo://h:1/a?weight=0", 0)]
    [InlineData("dubbo://h:1/a?weight=-5", 0)]
    [InlineData("dubbo://h:1/a?weight=10000", 10000)]
    [InlineData("dubbo://h:1/a?default.weight=7", 7)]
    [InlineData("dubbo://h:1/a?weight=3&default.weight=7", 3)]
    public void Weight_FromUrl(string text, int weight)
    {
        Assert.Null(DubboProviderUrl.TryParse(text, out var url));
        Assert.Equal(weight, url!.Weight);
    }

    [Fact]
    public void Weight_NotANumber_Null()
    {
        Assert.Null(DubboProviderUrl.TryParse("dubbo://h:1/a?weight=heavy", out var url));
        Assert.Null(url!.Weight);
    }

    [Theory]
    [InlineData("dubbo://h:1/a", true)]
    [InlineData("dubbo://h:1/a?enabled=", true)]
    [InlineData("dubbo://h:1/a?enabled=TRUE", true)]
    [InlineData("dubbo://h:1/a?enabled=false", false)]
    [InlineData("dubbo://h:1/a?enabled=no", false)]
    public void Enabled_AsJavaParseBoolean(string text, bool enabled)
    {
        Assert.Null(DubboProviderUrl.TryParse(text, out var url));
        Assert.Equal(enabled, url!.Enabled);
    }

    [Theory]
    [InlineData("10.0.0.5:20880/com.X", "no protocol")]
    [InlineData("dubbo://10.0.0.5:http/com.X", "no valid port")]
    [InlineData("dubbo://10.0.0.5:70000/com.X", "no valid port")]
    [InlineData("dubbo://:20880/com.X", "no valid host")]
    [InlineData("dubbo:///com.X?interface=com.X", "no valid host")]
    public void TryParse_Malformed_SaysWhy(string text, string problem)
    {
        Assert.Contains(problem, DubboProviderUrl.TryParse(text, out var url), StringComparison.Ordinal);
        Assert.Null(url);
    }

    [Fact]
    public void TryParse_OtherProtocol_ParsedWithItsScheme()
    {
        Assert.Null(DubboProviderUrl.TryParseZNodeName("tri%3A%2F%2F10.0.0.5%3A50051%2Fcom.X%3Finterface%3Dcom.X", out var url));
        Assert.Equal("tri", url!.Protocol);
    }
}
