using System.Diagnostics;

using Xunit;

namespace Gatehouse.Testing;

/// <summary>
/// The npm packages the Tars tests run (test/tools/tars: @tars/rpc 2.0.15 and @tars/stream 2.0.3, installed from its
/// lockfile by scripts/test.sh, or here with <c>npm ci</c> when node_modules is missing) and a way to run node there.
/// </summary>
internal static class TarsNodeTools
{
    private static readonly SemaphoreSlim s_install = new(1, 1);

    public static string Directory { get; } = Path.Combine(RepositoryRoot(), "test", "tools", "tars");

    public static async Task EnsureInstalledAsync()
    {
        await s_install.WaitAsync();
        try
        {
            if (System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@tars", "rpc"))
                && System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@tars", "stream")))
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

/// <summary>A @tars/rpc server (test/tools/tars/server.js) in a node process of its own, on a free loopback port.</summary>
internal sealed class TarsServerProcess : IAsyncDisposable
{
    /// <summary>The servant the server serves.</summary>
    public const string Servant = "Gatehouse.DemoServer.DemoObj";

    private readonly Process _process;

    private TarsServerProcess(Process process, int port, string name)
    {
        _process = process;
        Port = port;
        Name = name;
    }

    public int Port { get; }

    public string Name { get; }

    public string Address => $"tars://127.0.0.1:{Port}";

    /// <summary>The interface file the server implements.</summary>
    public static string InterfaceFile => Path.Combine(TarsNodeTools.Directory, "Demo.tars");

    public static async Task<TarsServerProcess> StartAsync(string name)
    {
        await TarsNodeTools.EnsureInstalledAsync();
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPorts.Next();
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = TarsNodeTools.Directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("server.js");
            start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(name);
            var process = Process.Start(start)!;
            var ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var errors = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("listening", StringComparison.Ordinal) == true)
                {
                    ready.TrySetResult(true);
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (errors)
                    {
                        errors.AppendLine(e.Data);
                    }
                }
            };
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => ready.TrySetResult(false);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var started = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
            if (started)
            {
                return new TarsServerProcess(process, port, name);
            }

            process.Dispose();
            // Lost a race for the port (EADDRINUSE): try another one.
            if (attempt >= 3 || !errors.ToString().Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the @tars/rpc server did not start: {errors}");
            }
        }
    }

    /// <summary>Kills the server process (SIGKILL): its connections break with calls in flight.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
