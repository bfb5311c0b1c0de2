using Gatehouse.Gateway.Forwarding;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class ForwardingServiceCollectionExtensionsTests
{
    [Fact]
    public void AddGatehouseForwarding_ResolvesSingletons()
    {
        using var provider = new ServiceCollection().AddGatehouseForwarding().BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<HttpForwarder>(), provider.GetRequiredService<HttpForwarder>());
        Assert.Same(provider.GetRequiredService<UpstreamClientFactory>(), provider.GetRequiredService<UpstreamClientFactory>());
    }

    [Fact]
    public void AddGatehouseForwarding_KeepsAnEarlierRegistration()
    {
        var own = new UpstreamClientFactory();
        using var provider = new ServiceCollection().AddSingleton(own).AddGatehouseForwarding().BuildServiceProvider();

        Assert.Same(own, provider.GetRequiredService<UpstreamClientFactory>());
    }
}
