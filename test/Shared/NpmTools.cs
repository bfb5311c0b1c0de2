using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Gatehouse.Testing;

/// <summary>
/// One folder of npm packages under test/tools (installed from its lockfile by scripts/test.sh, or here with
/// <c>npm ci</c> when node_modules is missing) and a way to run commands there.
/// </summary>
internal sealed class NpmToolFolder(string folder, params string[] packages)
{
    private readonly SemaphoreSlim _install = new(1, 1);

    public string Directory { get; } = Path.Combine(RepositoryRoot(), "test", "tools", folder);

    public async Task EnsureInstalledAsync()
    {
        await _install.WaitAsync();
        try
        {
            if (packages.All(package => System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", package))))
            {
                return;
            }

            var (code, output, error) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"npm ci in {Directory} failed ({code}): {output}{error}");
        }
        finally
        {
            _install.Release();
        }
    }

    /// <summary>Runs a command in the folder and collects its output.</summary>
    public async Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout)
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

/// <summary>
/// A server script of an <see cref="NpmToolFolder"/> (<c>node script port name options…</c>, printing a line starting
/// with <c>listening</c> once bound) in a node process of its own, on a free loopback port; stopped by its PID.
/// </summary>
internal sealed class NodeServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NodeServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts <paramref name="script"/>; <paramref name="what"/> names the server in errors.</summary>
    public static async Task<NodeServerProcess> StartAsync(NpmToolFolder tools, string script, string name, string what, params string[] options)
    {
        await tools.EnsureInstalledAsync();
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPorts.Next();
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = tools.Directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(name);
            foreach (var option in options)
            {
                start.ArgumentList.Add(option);
            }

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
                return new NodeServerProcess(process, port);
            }

            process.Dispose();
            // Lost a race for the port (EADDRINUSE): try another one.
            if (attempt >= 3 || !errors.ToString().Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{what} did not start: {errors}");
            }
        }
    }

    /// <summary>Kills the process (SIGKILL): its connections break with calls in flight.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Sends SIGTERM, for a server that stops gracefully.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    /// <summary>Waits for the process to exit by itself.</summary>
    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
