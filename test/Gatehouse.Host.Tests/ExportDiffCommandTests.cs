using System.Globalization;
using Gatehouse.Core.Config;
using Gatehouse.Host.Tests.Infrastructure;

namespace Gatehouse.Host.Tests;

/// <summary><c>gatehouse export</c> and <c>gatehouse diff</c> against a real admin process.</summary>
public sealed class ExportDiffCommandTests(AdminProcess admin) : IClassFixture<AdminProcess>
{
    private const string Base = """
        services:
          - name: orders
            nodes:
              - address: http://127.0.0.1:5101
                weight: 10
              - address: http://127.0.0.1:5102
            apis:
              - id: get-order
                path: /orders/{id}
              - id: list-orders
                path: /orders
        """;

    private const string Changed = """
        services:
          - name: orders
            nodes:
              - address: http://127.0.0.1:5101
                weight: 20
              - address: http://127.0.0.1:5102
            apis:
              - id: list-orders
                path: /orders
          - name: users
            nodes:
              - address: http://127.0.0.1:5201
        """;

    [Fact]
    public async Task Export_DefaultYamlOnStdout_LoadsToThePublishedChecksum()
    {
        var group = await admin.NewGroupAsync(Base);
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "export", "--admin", admin.Url, "--group", group, "--token", AdminProcess.Token);

        Assert.True(exitCode == 0, output);
        var exported = ConfigLoader.Parse(output, "stdout.yaml", ConfigFormat.Yaml);
        Assert.Equal((await admin.LatestAsync(group)).Checksum, ConfigChecksum.Compute(exported));
        Assert.Empty(cwd.Entries());
    }

    [Fact]
    public async Task Export_ToJsonFile_TokenFromEnvironment_RoundTripsThroughImport()
    {
        var group = await admin.NewGroupAsync(Base);
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, new Dictionary<string, string?> { ["GATEHOUSE_ADMIN_TOKEN"] = AdminProcess.Token },
            "export", "--admin", admin.Url, "--group", group, "-o", "exported.json");

        Assert.True(exitCode == 0, output);
        Assert.Equal($"exported.json: group '{group}', version 2, 1 service (JSON)", output.Trim());
        Assert.Equal(["exported.json"], cwd.Entries());
        var file = Path.Combine(cwd.Path, "exported.json");
        var exported = ConfigLoader.LoadFile(file);
        var (version, checksum) = await admin.LatestAsync(group);
        Assert.Equal(checksum, ConfigChecksum.Compute(exported));

        // validate accepts it, and diffing it against the admin shows no change.
        Assert.Equal(0, (await HostRun.RunAsync(cwd.Path, "validate", file)).ExitCode);
        var diff = await HostRun.RunAsync(cwd.Path, "diff", file, "--admin", admin.Url, "--group", group, "--token", AdminProcess.Token);
        Assert.True(diff.ExitCode == 0, diff.Output);
        Assert.Equal($"No changes: {file} matches version {version} of group '{group}'.", diff.Output.Trim());
    }

    [Fact]
    public async Task Diff_ChangedFile_PrintsTheChanges_ExitsZero_PublishesNothing()
    {
        var group = await admin.NewGroupAsync(Base);
        var before = await admin.LatestAsync(group);
        using var cwd = new TempDirectory();
        var file = cwd.Write("changed.yaml", Changed);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "diff", file, "--admin", admin.Url, "--group", group, "--token", AdminProcess.Token);

        Assert.True(exitCode == 0, output);
        var lines = output.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(
        [
            "~ node 127.0.0.1:5101 (orders) weight: 10 → 20",
            "- api get-order (orders)",
            "+ service users",
            $"3 changes against version 2 of group '{group}': 1 added, 1 removed, 1 changed. Nothing was published.",
        ], lines);
        Assert.Equal(before, await admin.LatestAsync(group));
    }

    [Fact]
    public async Task Diff_ExitCodeOption_ThreeWithChanges_ZeroWithout()
    {
        var group = await admin.NewGroupAsync(Base);
        using var cwd = new TempDirectory();
        var changed = cwd.Write("changed.yaml", Changed);
        var same = cwd.Write("same.yaml", Base);

        var withChanges = await HostRun.RunAsync(cwd.Path, "diff", changed, "--admin", admin.Url, "--group", group, "--token", AdminProcess.Token, "--exit-code");
        var without = await HostRun.RunAsync(cwd.Path, "diff", same, "--admin", admin.Url, "--group", group, "--token", AdminProcess.Token, "--exit-code");

        Assert.True(withChanges.ExitCode == 3, withChanges.Output);
        Assert.True(without.ExitCode == 0, without.Output);
    }

    [Fact]
    public async Task Diff_TokenFromTheAllInOnesDataDirectory()
    {
        var group = await admin.NewGroupAsync(Base);
        using var cwd = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(cwd.Path, "data"));
        cwd.Write(Path.Combine("data", "admin-token"), AdminProcess.Token + "\n");
        var file = cwd.Write("same.yaml", Base);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "diff", file, "--admin", admin.Url, "--group", group);

        Assert.True(exitCode == 0, output);
        Assert.StartsWith("No changes", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_InvalidFile_LineAndColumn_ExitsOne_BeforeAskingTheAdmin()
    {
        using var cwd = new TempDirectory();
        var file = cwd.Write("bad.yaml", """
            services:
              - name: orders
                nodes:
                  - address: http://127.0.0.1:5101
                    weight: abc
            """);

        // Nothing listens on this port: had the command asked the admin first, it would say so instead.
        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "diff", file, "--admin", $"http://127.0.0.1:{FreePort()}", "--token", "t");

        Assert.True(exitCode == 1, output);
        Assert.Contains("services[orders].nodes[127.0.0.1:5101].weight", output, StringComparison.Ordinal);
        Assert.Contains("(line 5, column 9)", output, StringComparison.Ordinal);
        Assert.Contains($"{file}: invalid, 1 problem", output, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_AdminUnreachable_OneLine_ExitsOne()
    {
        using var cwd = new TempDirectory();
        var file = cwd.Write("same.yaml", Base);
        var url = $"http://127.0.0.1:{FreePort()}";

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "diff", file, "--admin", url, "--token", "t");

        Assert.True(exitCode == 1, output);
        Assert.StartsWith($"gatehouse diff: cannot reach the admin at {url}/: ", Assert.Single(Lines(output)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("diff")]
    [InlineData("export")]
    public async Task WrongOrMissingToken_401_OneLine_ExitsOne(string command)
    {
        var group = await admin.NewGroupAsync(Base);
        using var cwd = new TempDirectory();
        var file = cwd.Write("same.yaml", Base);
        string[] target = command == "diff" ? ["diff", file] : ["export"];

        var wrong = await HostRun.RunAsync(cwd.Path, [.. target, "--admin", admin.Url, "--group", group, "--token", "not-the-token"]);
        var missing = await HostRun.RunAsync(cwd.Path, [.. target, "--admin", admin.Url, "--group", group]);

        Assert.True(wrong.ExitCode == 1, wrong.Output);
        Assert.Equal($"gatehouse {command}: the admin at {admin.Url}/ refused the token from --token (401 unauthorized)", Assert.Single(Lines(wrong.Output)));
        Assert.True(missing.ExitCode == 1, missing.Output);
        Assert.Equal($"gatehouse {command}: the admin at {admin.Url}/ wants a token (401): give one with --token or GATEHOUSE_ADMIN_TOKEN",
            Assert.Single(Lines(missing.Output)));
    }

    [Fact]
    public async Task Export_UnknownGroup_OneLine_ExitsOne()
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "export", "--admin", admin.Url, "--group", "no-such-group", "--token", AdminProcess.Token);

        Assert.True(exitCode == 1, output);
        Assert.Contains("group 'no-such-group' does not exist", Assert.Single(Lines(output)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--admin URL is required", "diff", "x.yaml")]
    [InlineData("FILE is required", "diff", "--admin", "http://127.0.0.1:1")]
    [InlineData("'--admin' takes the admin's http:// or https:// URL", "export", "--admin", "127.0.0.1:9000")]
    [InlineData("'--format' takes yaml or json", "export", "--admin", "http://127.0.0.1:1", "--format", "xml")]
    [InlineData("unknown option '--tokn' (did you mean '--token'?)", "export", "--tokn", "t")]
    public async Task UsageErrors_ExitTwo(string expected, params string[] args)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, args);

        Assert.True(exitCode == 2, output);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    private static List<string> Lines(string output) => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static int FreePort() => Scenario.Tests.GatehouseProcess.FreePort();
}
