using System.Diagnostics;
using System.Text;

namespace Gatehouse.Dubbo.Tests.Interop;

/// <summary>
/// The npm packages the interop tests run (test/tools/dubbo, installed from its lockfile by scripts/test.sh, or here
/// with <c>npm ci</c> when node_modules is missing) and a way to run node scripts there.
/// </summary>
internal static class NodeTools
{
    private static readonly SemaphoreSlim s_install = new(1, 1);

    public static string Directory { get; } = Path.Combine(RepositoryRoot(), "test", "tools", "dubbo");

    public static async Task EnsureInstalledAsync()
    {
        await s_install.WaitAsync();
        try
        {
            if (System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "dubbo.ts"))
                && System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "hessian.js")))
            {
                return;
            }

            var (code, output, error) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"npm ci in {Directory} failed ({code}): {output}{error}");
        }
        finally
        {
            s_install.Release();
        }
    }

    /// <summary>Runs a command in the tools directory and collects its output.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return (process.ExitCode, await output, await error);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gatehouse.slnx not found above " + AppContext.BaseDirectory);
    }
}
