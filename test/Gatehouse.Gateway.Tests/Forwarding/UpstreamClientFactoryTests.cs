using System.Net;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class UpstreamClientFactoryTests
{
    [Fact]
    public void GetInvoker_EqualSettings_SameInvoker()
    {
        using var factory = new UpstreamClientFactory();

        var first = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)));
        var second = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)));

        Assert.Same(first, second);
        Assert.Equal(1, factory.Count);
    }

    [Fact]
    public void GetInvoker_DifferentSettings_DifferentInvokers()
    {
        using var factory = new UpstreamClientFactory();

        var first = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)));
        var second = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)) { MaxConnectionsPerServer = 10 });

        Assert.NotSame(first, second);
        Assert.Equal(2, factory.Count);
    }

    [Fact]
    public void GetInvoker_AfterDispose_Throws()
    {
        var factory = new UpstreamClientFactory();
        factory.GetInvoker(UpstreamTransportSettings.Default);
        factory.Dispose();

        Assert.Throws<ObjectDisposedException>(() => factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(9))));
    }

    [Fact]
    public void CreateHandler_ProxyingSettings_Applied()
    {
        var settings = new UpstreamTransportSettings(TimeSpan.FromSeconds(2))
        {
            MaxConnectionsPerServer = 64,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(3),
        };

        using var handler = UpstreamClientFactory.CreateHandler(settings);

        Assert.False(handler.UseProxy);
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.Equal(DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.Null(handler.ActivityHeadersPropagator);
        Assert.True(handler.EnableMultipleHttp2Connections);
        Assert.Equal(TimeSpan.FromSeconds(2), handler.ConnectTimeout);
        Assert.Equal(64, handler.MaxConnectionsPerServer);
        Assert.Equal(TimeSpan.FromSeconds(30), handler.PooledConnectionIdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(3), handler.PooledConnectionLifetime);
    }

    [Fact]
    public void For_DefaultPolicy_ReusesTheDefaultSettings()
    {
        Assert.Same(UpstreamTransportSettings.Default, UpstreamTransportSettings.For(EffectivePolicy.Default));
        Assert.Equal(TimeSpan.FromSeconds(1),
            UpstreamTransportSettings.For(EffectivePolicy.Default with { ConnectTimeout = TimeSpan.FromSeconds(1) }).ConnectTimeout);
    }
}
