using System.Globalization;
using System.Text.RegularExpressions;
using Gatehouse.Host.Tests.Infrastructure;

namespace Gatehouse.Host.Tests;

/// <summary>--help, --version and usage errors: they answer and exit, and start, bind and write nothing.</summary>
public sealed class CliHelpTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("all-in-one", "--help")]
    [InlineData("admin", "--help")]
    [InlineData("gateway", "--help")]
    [InlineData("demo", "--help")]
    [InlineData("validate", "--help")]
    [InlineData("diff", "--help")]
    [InlineData("export", "--help")]
    [InlineData("help", "gateway")]
    [InlineData("gateway", "--config", "missing.yaml", "--help")]
    [InlineData("admin", "--Gatehouse:Admin:Token", "t", "-h")]
    public async Task Help_PrintsUsage_ExitsZeroAndWritesNothing(params string[] args)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, args);

        Assert.True(exitCode == 0, output);
        Assert.Contains("Usage: gatehouse", output, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", output, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(cwd.Entries()); // no ./data, no token, no database
    }

    [Theory]
    [InlineData("", "all-in-one|admin|gateway|demo|validate|diff|export|--version")]
    [InlineData("all-in-one", "--admin-port PORT|--port PORT|--control-port PORT|--demo-ports P1,P2,P3|--no-demo|--registry")]
    [InlineData("gateway", "--config FILE|--admin URL|--port PORT|--control-port PORT|--tls-cert FILE|--Section:Key|docs/operations.md")]
    [InlineData("admin", "--urls URLS|--Section:Key|docs/admin-api.md")]
    [InlineData("demo", "--service NAME|--port PORT|--registry URL")]
    [InlineData("validate", "validate FILE|line and column")]
    [InlineData("diff", "diff FILE --admin URL|--group GROUP|--token TOKEN|--exit-code|GATEHOUSE_ADMIN_TOKEN|dryRun=true|Nothing is published")]
    [InlineData("export", "--admin URL|--format FORMAT|--output FILE|-o FILE|GATEHOUSE_ADMIN_TOKEN|enc:v1:")]
    public async Task Help_ListsTheCommandsOptions(string command, string expected)
    {
        using var cwd = new TempDirectory();

        var (_, output) = await HostRun.RunAsync(cwd.Path, command.Length == 0 ? ["--help"] : [command, "--help"]);

        foreach (var text in expected.Split('|'))
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_WithItsPortsTaken_ExitsZero()
    {
        // Help that bound (or even checked) its ports would fail on these; it must not touch them at all.
        using var cwd = new TempDirectory();
        using var held = HostRun.Occupy(out var port);
        var text = port.ToString(CultureInfo.InvariantCulture);

        var gateway = await HostRun.RunAsync(cwd.Path, "gateway", "--port", text, "--control-port", text, "--help");
        var allInOne = await HostRun.RunAsync(cwd.Path, "--admin-port", text, "--port", text, "--help");
        var admin = await HostRun.RunAsync(cwd.Path, "admin", "--urls", $"http://127.0.0.1:{text}", "--help");

        Assert.True(gateway.ExitCode == 0, gateway.Output);
        Assert.True(allInOne.ExitCode == 0, allInOne.Output);
        Assert.True(admin.ExitCode == 0, admin.Output);
        Assert.Empty(cwd.Entries());
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("gateway", "--version")]
    public async Task Version_PrintsProductVersion_ExitsZeroAndWritesNothing(params string[] args)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, args);

        Assert.True(exitCode == 0, output);
        Assert.Matches(new Regex(@"^gatehouse \d+\.\d+\.\d+\S*( \(commit [0-9a-f]+\))?\s*$"), output);
        Assert.Empty(cwd.Entries());
    }

    [Theory]
    [InlineData("--bogus", "--bogus")]
    [InlineData("--prot", "--prot", "8080")]
    [InlineData("--bogus", "all-in-one", "--bogus")]
    [InlineData("--bogus", "gateway", "--config", "x.yaml", "--bogus", "1")]
    [InlineData("--bogus", "admin", "--urls", "http://127.0.0.1:1", "--bogus")]
    [InlineData("--bogus", "demo", "--service", "s", "--bogus")]
    [InlineData("--bogus", "validate", "x.yaml", "--bogus")]
    [InlineData("-x", "gateway", "-x")]
    [InlineData("stray", "gateway", "stray")]
    [InlineData("frobnicate", "frobnicate")]
    public async Task UnknownOptionOrCommand_ExitsTwoNamingIt(string named, params string[] args)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, args);

        Assert.True(exitCode == 2, output);
        Assert.Contains($"'{named}'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Empty(cwd.Entries());
    }

    [Theory]
    [InlineData("'--port' takes a port number", "gateway", "--port", "http")]
    [InlineData("'--port' needs a value", "gateway", "--port")]
    [InlineData("'--no-demo' takes no value", "--no-demo=yes")]
    [InlineData("--demo-ports takes three ports", "--demo-ports", "6001,6002")]
    [InlineData("port 7001 is given to both --port and --control-port", "--port", "7001", "--control-port", "7001")]
    [InlineData("--registry takes zookeeper://", "--registry", "http://zk:2181")]
    [InlineData("--service and --port are required", "demo", "--service", "orders")]
    [InlineData("FILE is required", "validate")]
    public async Task MalformedValue_ExitsTwoSayingWhy(string expected, params string[] args)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, args);

        Assert.True(exitCode == 2, output);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Empty(cwd.Entries());
    }
}
