using Gatehouse.Host.Tests.Infrastructure;

namespace Gatehouse.Host.Tests;

/// <summary><c>gatehouse validate FILE</c>: every problem at once with its line and column, exit 0 or 1.</summary>
public sealed class ValidateCommandTests
{
    [Fact]
    public async Task Validate_ValidYaml_OkSummary_ExitsZero()
    {
        using var cwd = new TempDirectory();
        var file = cwd.Write("gatehouse.yaml", """
            services:
              - name: orders
                nodes:
                  - address: http://127.0.0.1:5101
                  - address: http://127.0.0.1:5102
                apis:
                  - id: get-order
                    path: /orders/{id}
                  - id: list-orders
                    path: /orders
              - name: users
                nodes:
                  - address: http://127.0.0.1:5201
            """);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "validate", file);

        Assert.True(exitCode == 0, output);
        Assert.Equal($"{file}: OK, 2 services, 2 APIs, 3 nodes", output.Trim());
    }

    [Fact]
    public async Task Validate_ValidJson_ExitsZero()
    {
        using var cwd = new TempDirectory();
        var file = cwd.Write("gatehouse.json", """
            { "services": [ { "name": "orders", "nodes": [ { "address": "http://127.0.0.1:5101" } ],
                              "apis": [ { "id": "a", "path": "/a" } ] } ] }
            """);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "validate", file);

        Assert.True(exitCode == 0, output);
        Assert.Contains("OK, 1 service, 1 API, 1 node", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralProblems_EachWithLineAndColumn_ExitsOne()
    {
        using var cwd = new TempDirectory();
        var file = cwd.Write("bad.yaml", """
            services:
              - name: orders
                nodes:
                  - address: ftp://x
                    weight: abc
                apis:
                  - path: nope
                    methdos: [GET]
            """);

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "validate", file);

        Assert.True(exitCode == 1, output);
        Assert.Contains("services[orders].nodes[0].address: address 'ftp://x'", output, StringComparison.Ordinal);
        Assert.Matches(@"nodes\[0\]\.address: .*\(line 4, column 9\)", output);
        Assert.Matches(@"nodes\[0\]\.weight: .*\(line 5, column 9\)", output);
        Assert.Matches(@"apis\[0\]\.path: .*\(line 7, column 9\)", output);
        Assert.Matches(@"apis\[0\]\.id: id is required \(line 7, column 9\)", output);
        Assert.Matches(@"apis\[0\]\.methdos: unknown key .*\(line 8, column 9\)", output);
        Assert.Contains($"{file}: invalid, 5 problems", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SyntaxError_LineAndColumn_ExitsOne()
    {
        using var cwd = new TempDirectory();
        var file = cwd.Write("broken.json", "{ \"services\": [ { \"name\": \"orders\", } ");

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "validate", file);

        Assert.True(exitCode == 1, output);
        Assert.Matches(@"line \d+, column \d+", output);
    }

    [Theory]
    [InlineData("missing.yaml", "cannot read the file")]
    [InlineData("gatehouse.toml", "unsupported file type '.toml'")]
    public async Task Validate_UnreadableFile_SaysWhy_ExitsOne(string name, string expected)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "validate", Path.Combine(cwd.Path, name));

        Assert.True(exitCode == 1, output);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
