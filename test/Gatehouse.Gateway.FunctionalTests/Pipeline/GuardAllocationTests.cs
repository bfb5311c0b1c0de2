using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Testing;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>
/// The request guard's header check on Kestrel's own header collection (not the test <see cref="HeaderDictionary"/>),
/// measured with the thread's allocation counter inside a real request.
/// </summary>
public class GuardAllocationTests
{
    [Fact]
    public async Task HeadersWithinLimits_KestrelRequestHeaders_DoesNotAllocate()
    {
        long guardBytes = -1, interfaceBytes = -1;
        var within = false;
        await using var backend = await EchoBackend.StartAsync("b", context =>
        {
            var headers = context.Request.Headers;
            var limits = new GatewayLimits();
            guardBytes = Allocations.Of(() => within = RequestGuard.HeadersWithinLimits(headers, limits));

            // The enumeration it replaced, on the same headers: shows the measurement sees Kestrel's allocations.
            var total = 0;
            interfaceBytes = Allocations.Of(() =>
            {
                foreach (var header in headers)
                {
                    total += header.Key.Length;
                }
            });
            return context.Response.WriteAsync("measured");
        });
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{backend.Address}/x");
        request.Headers.Add("serviceName", "orders"); // unknown to Kestrel: kept in its extra-header dictionary
        request.Headers.Add("X-User", "u-1234");
        request.Headers.Add("Accept", "application/json"); // known to Kestrel: a field of its header class
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        using var response = await client.SendAsync(request);

        Assert.Equal("measured", await response.Content.ReadAsStringAsync());
        Assert.True(within);
        Assert.Equal(0, guardBytes);
        Assert.True(interfaceBytes > 0, $"interface enumeration allocated {interfaceBytes} bytes");
    }

    /// <summary>
    /// What a request without a debug token pays for the route header: one lookup on Kestrel's headers, which allocates
    /// nothing whether the request has other unknown headers or not.
    /// </summary>
    [Fact]
    public async Task DebugTokenLookup_HeaderAbsent_OneLookupThatDoesNotAllocate()
    {
        long bytes = -1;
        var found = true;
        await using var backend = await EchoBackend.StartAsync("b", context =>
        {
            var headers = context.Request.Headers;
            bytes = Allocations.Of(() => found = headers.TryGetValue(Core.Security.DebugToken.Header, out _));
            return context.Response.WriteAsync("measured");
        });
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{backend.Address}/x");
        request.Headers.Add("serviceName", "orders");
        request.Headers.Add("Accept", "application/json");

        using var response = await client.SendAsync(request);

        Assert.Equal("measured", await response.Content.ReadAsStringAsync());
        Assert.False(found);
        Assert.Equal(0, bytes);
    }
}
