using System.Diagnostics;

using Xunit;

namespace Gatehouse.Testing;

/// <summary>
/// The npm packages the Dubbo tests run (test/tools/dubbo, installed from its lockfile by scripts/test.sh, or here
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

/// <summary>A dubbo.ts provider (test/tools/dubbo/provider.js) in a node process of its own, on a free loopback port.</summary>
internal sealed class DubboProviderProcess : IAsyncDisposable
{
    private readonly Process _process;

    private DubboProviderProcess(Process process, int port, string name)
    {
        _process = process;
        Port = port;
        Name = name;
    }

    public int Port { get; }

    public string Name { get; }

    public string Address => $"dubbo://127.0.0.1:{Port}";

    /// <summary>Starts a provider; <paramref name="options"/> go to provider.js (e.g. <c>--registry</c>, <c>--weight</c>).</summary>
    public static async Task<DubboProviderProcess> StartAsync(string name, params string[] options)
    {
        await NodeTools.EnsureInstalledAsync();
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPorts.Next();
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = NodeTools.Directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("provider.js");
            start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
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
                return new DubboProviderProcess(process, port, name);
            }

            process.Dispose();
            // Lost a race for the port (EADDRINUSE): try another one.
            if (attempt >= 3 || !errors.ToString().Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the dubbo.ts provider did not start: {errors}");
            }
        }
    }

    /// <summary>Kills the provider process (SIGKILL): its connections break with calls in flight.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Sends SIGTERM: a registered provider deletes its znodes, keeps serving for its drain time, then exits.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
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
