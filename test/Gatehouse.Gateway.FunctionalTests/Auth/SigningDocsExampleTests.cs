using System.Diagnostics;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary>The curl + openssl example of docs/signing.md, run as written against a real gateway.</summary>
public class SigningDocsExampleTests
{
    [Fact]
    public async Task CurlExampleFromDocs_IsAccepted()
    {
        var script = ExtractBashBlock(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "signing.md")));
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync($"signed ok {context.Request.Method} {context.Request.Path}{context.Request.QueryString} {body}");
        });
        await using var gateway = await GatewayTestHost.StartAsync($$"""
            apps:
              - { appKey: billing-app, secret: "secret-of-billing-app-0123", permissions: [orders] }
            services:
              - name: orders
                policy: { auth: { sign: { headers: [content-type] } } }
                nodes: [ { id: n1, address: "{{backend.Address}}" } ]
                apis: [ { id: create, path: /orders } ]
            """);
        script = script.Replace("GATEWAY=http://127.0.0.1:8080", $"GATEWAY=http://127.0.0.1:{gateway.Port}", StringComparison.Ordinal);

        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync("set -euo pipefail\n" + script);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, await error);
        Assert.Equal("signed ok POST /orders?b=2&a=1 {\"item\":42}", await output);
    }

    private static string ExtractBashBlock(string markdown)
    {
        const string open = "```bash\n";
        var start = markdown.IndexOf(open, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/signing.md has no bash block");
        start += open.Length;
        return markdown[start..markdown.IndexOf("```", start, StringComparison.Ordinal)];
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Gatehouse.slnx not found above the test assembly");
    }
}
