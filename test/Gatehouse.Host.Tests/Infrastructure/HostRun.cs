using System.Net;
using System.Net.Sockets;
using Gatehouse.Scenario.Tests;

namespace Gatehouse.Host.Tests.Infrastructure;

/// <summary>A fresh, empty working directory for one host process, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gatehouse-cli-").FullName;

    /// <summary>What the process left in the directory (files and folders, relative), to assert it wrote nothing.</summary>
    public IReadOnlyList<string> Entries() =>
        [.. Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories).Select(e => System.IO.Path.GetRelativePath(Path, e))];

    public string Write(string name, string text)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs the built <c>gatehouse</c> to completion and returns its exit code and output (stdout and stderr).</summary>
internal static class HostRun
{
    /// <summary>A command that should answer and exit gets this long; one that starts servers instead fails here.</summary>
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(20);

    public static Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string?>(), args);

    /// <summary>As <see cref="RunAsync(string, string[])"/>, with environment variables set for the process.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment,
        params string[] args)
    {
        await using var process = GatehouseProcess.StartIn(workingDirectory, "gatehouse", environment, args);
        int exitCode;
        try
        {
            exitCode = await process.WaitForExitAsync(ExitLimit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"gatehouse {string.Join(' ', args)} was still running after {ExitLimit.TotalSeconds} s:\n{process.Output}");
            throw;
        }

        return (exitCode, process.Output);
    }

    /// <summary>A loopback port held by a listener of the test, as another program would hold it.</summary>
    public static TcpListener Occupy(out int port)
    {
        port = GatehouseProcess.FreePort();
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return listener;
    }
}
