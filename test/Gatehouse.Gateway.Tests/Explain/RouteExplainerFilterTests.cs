using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Explain;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Resolution;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Explain;

/// <summary>An explanation lists the API's one filter chain as it runs: built-ins and plugins inbound, then the outbound side.</summary>
public class RouteExplainerFilterTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void Explain_OneChain_InboundInOrder_ThenOutboundLastFirst()
    {
        var config = new GatewayConfig
        {
            Apps = [new AppConfig { AppKey = "k", Secret = "0123456789abcdef0123456789abcdef" }],
            Global = new PolicyConfig { IpAccess = new IpAccessConfig { Deny = ["192.0.2.0/24"] }, RateLimit = new RateLimitConfig { Limit = 10 } },
            Services =
            [
                Service("s") with
                {
                    Apis =
                    [
                        new ApiConfig
                        {
                            Id = "a",
                            Path = "/a",
                            Policy = new PolicyConfig
                            {
                                Auth = new AuthConfig { Sign = new SignConfig() },
                                Encryption = new EncryptionConfig(),
                                Filters =
                                [
                                    new FilterConfig { Name = "headers", Settings = Json("""{"request":{"set":{"X-A":"1"}},"response":{"set":{"X-B":"2"}}}""") },
                                    new FilterConfig { Name = "mock", Settings = Json("""{"status":204}""") },
                                ],
                            },
                        },
                    ],
                },
            ],
        };
        var snapshot = Compile(config);
        var explainer = new RouteExplainer(ServiceResolverChain.CreateDefault(new GatewayHeaderNames()), Options.Create(new GatewayOptions()));
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/a";
        context.Request.Headers["serviceName"] = "s";

        var filters = explainer.Explain(snapshot, context).Filters!;

        Assert.Equal(
            [
                ("ipAccess", "inbound"), ("headers", "inbound"), ("mock", "inbound"), ("signature", "inbound"), ("rateLimit", "inbound"),
                ("decrypt", "inbound"), ("encryptResponse", "outbound"), ("headers", "outbound"),
            ],
            filters.Select(f => (f.Name, f.Stage)));
        Assert.Contains(filters[1].Settings, m => m.Member == "filters");
        Assert.Contains(filters[4].Settings, m => m.Member.StartsWith("rateLimit", StringComparison.Ordinal));
    }
}
