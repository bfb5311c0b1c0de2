using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sdk.Tests;

public sealed class GatehouseOptionsTests
{
    [Fact]
    public void Options_BindFromTheGatehouseSection_DelegateWins_ShutdownTimeoutCoversTheDrain()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gatehouse:Service"] = "orders",
            ["Gatehouse:Group"] = "shop",
            ["Gatehouse:Address"] = "http://admin:9000",
            ["Gatehouse:Weight"] = "40",
            ["Gatehouse:Gray:0"] = "canary",
            ["Gatehouse:DrainPeriod"] = "00:01:00",
            ["Gatehouse:PropagationDelay"] = "00:00:05",
        });
        builder.Services.AddGatehouse(o => o.Loc = "dc2");
        using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<GatehouseOptions>>().Value;
        Assert.Equal(("orders", "shop", "http://admin:9000", 40, "dc2"), (options.Service, options.Group, options.Address, options.Weight, options.Loc));
        Assert.Equal(["canary"], options.Gray);
        Assert.True(app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout >= TimeSpan.FromSeconds(65));
    }

    [Fact]
    public void Options_Invalid_RefusedWithTheFieldNamed()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddGatehouse(o => { o.Service = "orders"; o.Group = "shop"; o.Weight = 20_000; });

        // The host's shutdown timeout is derived from these options, so a bad value already stops Build().
        var error = Assert.Throws<OptionsValidationException>(() => builder.Build());
        Assert.Contains("Weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("Address", error.Message, StringComparison.Ordinal);
    }
}
