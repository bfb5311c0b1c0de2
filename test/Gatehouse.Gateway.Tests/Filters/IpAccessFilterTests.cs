using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Core.Net;
using Gatehouse.Gateway.Filters.Access;

namespace Gatehouse.Gateway.Tests.Filters;

public class IpAccessFilterTests
{
    private static IpAccessFilter Filter(params (string Level, string[] Allow, string[] Deny)[] levels) =>
        new([.. levels.Select(l => IpAccessFilter.Compile(l.Level, new IpAccessConfig { Allow = l.Allow, Deny = l.Deny }))]);

    private static string? RefusedBy(IpAccessFilter filter, string address) =>
        filter.FirstRefusing(IpRange.ToUInt128(IPAddress.Parse(address)))?.Level;

    [Fact]
    public void DenyWinsOverAllowInTheSameLevel()
    {
        var filter = Filter(("api", ["10.0.0.0/8"], ["10.1.0.0/16"]));

        Assert.Null(RefusedBy(filter, "10.2.3.4"));
        Assert.Equal("api", RefusedBy(filter, "10.1.3.4"));
        Assert.Equal("api", RefusedBy(filter, "11.0.0.1"));
    }

    [Fact]
    public void DenyOnly_AdmitsEveryoneElse()
    {
        var filter = Filter(("global", [], ["192.0.2.0/24", "2001:db8::/32"]));

        Assert.Null(RefusedBy(filter, "198.51.100.1"));
        Assert.Null(RefusedBy(filter, "::1"));
        Assert.Equal("global", RefusedBy(filter, "192.0.2.1"));
        Assert.Equal("global", RefusedBy(filter, "::ffff:192.0.2.1"));
        Assert.Equal("global", RefusedBy(filter, "2001:db8::1"));
    }

    [Fact]
    public void Levels_AllMustPass_OutermostReportedFirst()
    {
        var filter = Filter(("global", [], ["10.9.0.0/16"]), ("service", ["10.0.0.0/8"], []), ("api", ["10.1.0.0/16", "10.9.0.0/16"], []));

        Assert.Null(RefusedBy(filter, "10.1.0.1"));
        Assert.Equal("api", RefusedBy(filter, "10.2.0.1"));       // service admits, API does not
        Assert.Equal("service", RefusedBy(filter, "192.0.2.1"));  // API never consulted
        Assert.Equal("global", RefusedBy(filter, "10.9.0.1"));    // the API's allow cannot undo a global deny
    }

    [Fact]
    public void NoAddress_RefusedOnlyByAnAllowList()
    {
        Assert.Null(Filter(("global", [], ["0.0.0.0/0"])).FirstRefusing(null));
        Assert.Equal("api", Filter(("api", ["0.0.0.0/0"], [])).FirstRefusing(null)?.Level);
    }
}
