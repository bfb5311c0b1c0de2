using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Core.Net;
using Gatehouse.Gateway.Filters.Access;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Testing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Hosting;

/// <summary>
/// The per-request checks added for security must not allocate on the common path. Measured with the thread's
/// allocation counter (exact, not timing), after a warm-up so one-time JIT and static setup are excluded.
/// </summary>
public class HotPathAllocationTests
{
    [Fact]
    public void IpAccessCheck_DoesNotAllocate()
    {
        var filter = new IpAccessFilter(
        [
            IpAccessFilter.Compile("global", new IpAccessConfig { Deny = ["192.0.2.0/24", "2001:db8::/32"] }),
            IpAccessFilter.Compile("api", new IpAccessConfig { Allow = ["10.0.0.0/8", "127.0.0.0/8", "::1"] }),
        ]);
        var address = IPAddress.Parse("::ffff:127.0.0.1");
        var refused = false;

        var bytes = Allocations.Of(() => refused |= filter.FirstRefusing(IpRange.ToUInt128(address)) is not null);

        Assert.False(refused);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void PathRule_CleanPath_DoesNotAllocate()
    {
        const string path = "/api/v1/orders/12345/items/.well-known";
        var ok = true;

        var bytes = Allocations.Of(() => ok &= PathNormalizer.TryNormalize(path, out _, out _));

        Assert.True(ok);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ClientAddress_UntrustedPeer_DoesNotAllocate()
    {
        var proxies = new TrustedProxies(["10.0.0.0/8"]);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        context.Request.Headers["X-Forwarded-For"] = "198.51.100.1";
        IPAddress? seen = null;

        var bytes = Allocations.Of(() =>
        {
            proxies.Apply(context);
            seen = ClientIp.Get(context);
        });

        Assert.Equal(IPAddress.Parse("203.0.113.7"), seen);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void HeaderLimits_DoesNotAllocate()
    {
        var headers = new HeaderDictionary
        {
            ["Host"] = "gw.example",
            ["serviceName"] = "orders",
            ["Accept"] = "application/json",
            ["X-Request-Id"] = "r-1",
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ["X-Multi"] = new(["a", "b"]),
        };
        var limits = new GatewayLimits();
        var ok = true;

        var bytes = Allocations.Of(() => ok &= RequestGuard.HeadersWithinLimits(headers, limits));

        Assert.True(ok);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void HeaderLimits_InterfaceEnumeration_WouldAllocate()
    {
        // What the check replaced: foreach over IHeaderDictionary boxes the enumerator. Shows the test above can fail.
        IHeaderDictionary headers = new HeaderDictionary { ["Host"] = "gw.example", ["serviceName"] = "orders" };
        var total = 0;

        var bytes = Allocations.Of(() =>
        {
            foreach (var header in headers)
            {
                total += header.Key.Length;
            }
        });

        Assert.True(total > 0);
        Assert.True(bytes > 0);
    }
}
