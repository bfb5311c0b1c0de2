using System.Globalization;
using Gatehouse.Host.Tests.Infrastructure;
using Gatehouse.Scenario.Tests;

namespace Gatehouse.Host.Tests;

/// <summary>A port another program holds: one line naming the port and the option that moves it, exit code 1.</summary>
public sealed class BusyPortTests
{
    private const string ValidConfig = """
        services:
          - name: orders
            nodes:
              - address: http://127.0.0.1:1
        """;

    [Theory]
    [InlineData("--port", "traffic")]
    [InlineData("--control-port", "control")]
    public async Task Gateway_PortTaken_OneLineNamingPortAndOption(string option, string role)
    {
        using var cwd = new TempDirectory();
        var config = cwd.Write("gatehouse.yaml", ValidConfig);
        using var held = HostRun.Occupy(out var busy);
        var other = GatehouseProcess.FreePort();
        var (port, controlPort) = option == "--port" ? (busy, other) : (other, busy);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "gateway", "--config", config, "--listen", "127.0.0.1",
            "--port", Text(port), "--control-port", Text(controlPort));

        AssertOneLine(exitCode, output, busy, option);
        Assert.Contains(role, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_PortTakenOnLoopback_ListeningOnEveryAddress_Reported()
    {
        // The gateway's default address (0.0.0.0) overlaps a listener on 127.0.0.1: Kestrel could not bind either.
        using var cwd = new TempDirectory();
        var config = cwd.Write("gatehouse.yaml", ValidConfig);
        using var held = HostRun.Occupy(out var busy);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "gateway", "--config", config,
            "--port", Text(busy), "--control-port", Text(GatehouseProcess.FreePort()));

        AssertOneLine(exitCode, output, busy, "--port");
    }

    [Fact]
    public async Task AllInOne_AdminPortTaken_OneLineNamingAdminPortOption_WritesNothing()
    {
        using var cwd = new TempDirectory();
        using var held = HostRun.Occupy(out var busy);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, [.. FreeAllInOnePorts(), "--admin-port", Text(busy)]);

        AssertOneLine(exitCode, output, busy, "--admin-port");
        Assert.Empty(cwd.Entries()); // checked before ./data is made
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--control-port")]
    [InlineData("--demo-ports")]
    public async Task AllInOne_GatewayOrDemoPortTaken_OneLineNamingItsOption(string option)
    {
        using var cwd = new TempDirectory();
        using var held = HostRun.Occupy(out var busy);
        var value = option == "--demo-ports"
            ? $"{GatehouseProcess.FreePort()},{Text(busy)},{GatehouseProcess.FreePort()}"
            : Text(busy);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, [.. FreeAllInOnePorts(), option, value]);

        AssertOneLine(exitCode, output, busy, option);
        Assert.Empty(cwd.Entries());
    }

    [Fact]
    public async Task Admin_PortTaken_OneLineNamingUrls_WritesNothing()
    {
        using var cwd = new TempDirectory();
        using var held = HostRun.Occupy(out var busy);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "admin", "--urls", $"http://127.0.0.1:{Text(busy)}");

        AssertOneLine(exitCode, output, busy, "--urls");
        Assert.Empty(cwd.Entries()); // no database, no generated token
    }

    [Fact]
    public async Task Demo_PortTaken_OneLineNamingPort()
    {
        using var cwd = new TempDirectory();
        using var held = HostRun.Occupy(out var busy);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "demo", "--service", "orders", "--port", Text(busy));

        AssertOneLine(exitCode, output, busy, "--port");
    }

    /// <summary>Every all-in-one port on a free port; a later option on the same command line overrides one.</summary>
    private static string[] FreeAllInOnePorts() =>
    [
        "--admin-port", Text(GatehouseProcess.FreePort()),
        "--port", Text(GatehouseProcess.FreePort()),
        "--control-port", Text(GatehouseProcess.FreePort()),
        "--demo-ports", $"{GatehouseProcess.FreePort()},{GatehouseProcess.FreePort()},{GatehouseProcess.FreePort()}",
    ];

    private static void AssertOneLine(int exitCode, string output, int port, string option)
    {
        Assert.True(exitCode == 1, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains($"port {Text(port)} ", line, StringComparison.Ordinal);
        Assert.Contains($"with {option}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
