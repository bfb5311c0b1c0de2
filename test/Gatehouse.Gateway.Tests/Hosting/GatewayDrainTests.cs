using System.Diagnostics;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Tests.Hosting;

public class GatewayDrainTests
{
    [Fact]
    public async Task StoppingAsync_DrainsAtOnce_ReturnsAfterTheDelay()
    {
        using var drain = Create(TimeSpan.FromMilliseconds(300));
        Assert.False(drain.Draining);

        var watch = Stopwatch.StartNew();
        var stopping = drain.StoppingAsync(CancellationToken.None);

        Assert.True(drain.Draining);
        await stopping;
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(250), $"returned after {watch.Elapsed}");
    }

    [Fact]
    public async Task StoppingAsync_HostTimeoutDuringTheDelay_ReturnsWithoutThrowing()
    {
        using var drain = Create(TimeSpan.FromMinutes(5));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await drain.StoppingAsync(timeout.Token).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(drain.Draining);
    }

    [Fact]
    public void AddGatehouseGateway_HostShutdownTimeout_CoversDelayAndInFlightBound()
    {
        using var services = Services(new() { ["Gatehouse:Gateway:DrainDelay"] = "00:00:03", ["Gatehouse:Gateway:ShutdownTimeout"] = "00:00:10" });

        Assert.Equal(TimeSpan.FromSeconds(13), services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void AddGatehouseGateway_Defaults_FiveSecondDelayAndThirtySecondBound()
    {
        using var services = Services([]);

        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), options.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(35), services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Theory]
    [InlineData("DrainDelay")]
    [InlineData("ShutdownTimeout")]
    public void Options_Negative_RefusedNamingTheKey(string key)
    {
        using var services = Services(new() { [$"Gatehouse:Gateway:{key}"] = "-00:00:01" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<GatewayOptions>>().Value);

        Assert.Contains($"Gatehouse:Gateway:{key} must not be negative", error.Message, StringComparison.Ordinal);
    }

    private static GatewayDrain Create(TimeSpan delay) =>
        new(Options.Create(new GatewayOptions { DrainDelay = delay }), TimeProvider.System, NullLogger<GatewayDrain>.Instance);

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddGatehouseGateway(config).BuildServiceProvider();
    }
}
