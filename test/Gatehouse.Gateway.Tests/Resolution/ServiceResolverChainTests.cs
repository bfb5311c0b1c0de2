using Gatehouse.Core.Config;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Resolution;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Resolution;

public class ServiceResolverChainTests
{
    private static readonly GatewayConfig Config = new()
    {
        Services = [Service("byheader"), Service("byquery"), Service("bydomain"), Service("bypath"), Service("bystrip"), Service("set-a"), Service("set-b")],
        OriginMappings =
        [
            new OriginMappingConfig { DomainPrefix = "shop", Service = "bydomain" },
            new OriginMappingConfig { PathPrefix = "/p", Service = "bypath" },
            new OriginMappingConfig { PathPrefix = "/p/deeper", Service = "bystrip", StripPrefix = true },
        ],
        ServiceSets = [new ServiceSetConfig { Tag = "mobile", Services = ["set-b", "set-a"] }],
    };

    private static readonly ServiceResolverChain Chain = ServiceResolverChain.CreateDefault(new GatewayHeaderNames());

    private static ServiceResolution Resolve(string path, string host = "gw.local", string? query = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Request.Host = new HostString(host);
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query);
        }

        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return Chain.Resolve(context, Compile(Config));
    }

    [Fact]
    public void Resolve_OrderOfPrecedence_HeaderFirst()
    {
        var r = Resolve("/p/x", "shop.example.com", "?serviceName=byquery", ("serviceName", "byheader"), ("scTag", "mobile"));
        Assert.Equal("byheader", r.Service!.Name);
    }

    [Fact]
    public void Resolve_NoHeader_QueryBeatsDomainAndPath()
    {
        var r = Resolve("/p/x", "shop.example.com", "?a=1&serviceName=byquery&b=2", ("scTag", "mobile"));
        Assert.Equal("byquery", r.Service!.Name);
    }

    [Fact]
    public void Resolve_NoName_DomainBeatsPathAndSet()
    {
        var r = Resolve("/p/x", "shop.example.com", null, ("scTag", "mobile"));
        Assert.Equal("bydomain", r.Service!.Name);
    }

    [Fact]
    public void Resolve_NoDomain_PathBeatsSet()
    {
        var r = Resolve("/p/x", "api.example.com", null, ("scTag", "mobile"));
        Assert.Equal("bypath", r.Service!.Name);
        Assert.Equal(0, r.StripLength);
    }

    [Fact]
    public void Resolve_OnlyScTag_ServiceSetInOrder()
    {
        var r = Resolve("/other", "api.example.com", null, ("scTag", "mobile"));
        Assert.Null(r.Service);
        Assert.Equal(["set-b", "set-a"], r.Candidates!.Select(s => s.Name));
    }

    [Theory]
    [InlineData("/p/deeper/x", "bystrip", 9)]   // longest prefix wins and is stripped
    [InlineData("/p/deeper", "bystrip", 9)]
    [InlineData("/p/deeperx", "bypath", 0)]     // prefixes end on segment boundaries
    [InlineData("/p/", "bypath", 0)]
    [InlineData("/p", "bypath", 0)]
    public void Resolve_PathPrefix_LongestOnSegmentBoundary(string path, string service, int strip)
    {
        var r = Resolve(path);
        Assert.Equal(service, r.Service!.Name);
        Assert.Equal(strip, r.StripLength);
    }

    [Theory]
    [InlineData("/px")]
    [InlineData("/")]
    [InlineData("/q/p")]
    public void Resolve_NothingApplies_Undecided(string path)
    {
        Assert.False(Resolve(path).IsDecided);
    }

    [Fact]
    public void Resolve_UnknownServiceHeader_NotFoundWithoutFallingThrough()
    {
        var r = Resolve("/p/x", headers: ("serviceName", "nope"));
        Assert.True(r.IsDecided);
        Assert.Equal("nope", r.UnknownName);
    }

    [Fact]
    public void Resolve_HeaderServiceName_CaseInsensitive()
    {
        Assert.Equal("byheader", Resolve("/", headers: ("serviceName", "ByHeader")).Service!.Name);
    }

    [Fact]
    public void Resolve_DomainPrefix_MatchesFirstLabelOnly()
    {
        Assert.Equal("bydomain", Resolve("/x", "SHOP.example.com").Service!.Name);
        Assert.False(Resolve("/x", "shopping.example.com").IsDecided);
        Assert.False(Resolve("/x", "shop").IsDecided);
    }

    [Theory]
    [InlineData("MOBILE")]
    [InlineData("Mobile")]
    public void Resolve_ScTag_CaseInsensitive(string tag)
    {
        // Tags are unique ignoring case in the config, so the header may use any case.
        var r = Resolve("/other", "api.example.com", null, ("scTag", tag));
        Assert.Equal(["set-b", "set-a"], r.Candidates!.Select(s => s.Name));
    }

    [Fact]
    public void Resolve_UnknownScTag_NotFound()
    {
        Assert.Equal("desktop", Resolve("/x", headers: ("scTag", "desktop")).UnknownName);
    }

    [Theory]
    [InlineData("?serviceName=a", "a")]
    [InlineData("serviceName=a&x=1", "a")]
    [InlineData("?x=1&serviceName=", "")]
    [InlineData("?x=serviceName&serviceNamex=1", null)]
    [InlineData("?x=1&serviceName", "")]
    public void QueryParameter_TryFind(string query, string? expected)
    {
        var found = QueryParameter.TryFind(query, "serviceName", out var value);
        Assert.Equal(expected is not null, found);
        if (expected is not null)
        {
            Assert.Equal(expected, value.ToString());
        }
    }
}
