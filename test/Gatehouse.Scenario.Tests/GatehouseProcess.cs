using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// One real <c>gatehouse</c> process (admin, gateway or demo) started from the built host, with its output
/// captured for failure messages, and stopped by PID.
/// </summary>
internal sealed class GatehouseProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stdout = new();

    private GatehouseProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        _process.OutputDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data is not null)
            {
                lock (_output)
                {
                    _stdout.AppendLine(e.Data);
                }
            }
        };
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits up to <paramref name="limit"/> for the process to end by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        await _process.WaitForExitAsync().WaitAsync(limit);
        return _process.ExitCode;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What the process wrote to stdout only (the application log), line by line.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_output)
            {
                return _stdout.ToString();
            }
        }
    }

    public static GatehouseProcess Start(string name, params string[] args) => StartIn(Path.GetTempPath(), name, args);

    /// <summary>Starts the host with <paramref name="workingDirectory"/> as its working directory (where it would write <c>./data</c>).</summary>
    public static GatehouseProcess StartIn(string workingDirectory, string name, params string[] args) =>
        StartIn(workingDirectory, name, new Dictionary<string, string?>(), args);

    /// <summary>As <see cref="StartIn(string, string, string[])"/>, with environment variables set (a null value removes one).</summary>
    public static GatehouseProcess StartIn(string workingDirectory, string name, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.ArgumentList.Add(HostDll());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new GatehouseProcess(Process.Start(info)!, name);
    }

    /// <summary>Kills the process (as a crash or an operator's kill -9 would) and waits for it to go.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Sends SIGTERM (what an orchestrator sends to stop a container) and waits for the process to exit by itself.</summary>
    public async Task StopGracefullyAsync(TimeSpan limit)
    {
        if (_process.HasExited)
        {
            return;
        }

        await SignalAsync("TERM");
        await _process.WaitForExitAsync().WaitAsync(limit);
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>INT</c>) to the process and returns without waiting for it to act.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString() }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    public static int FreePort() => Gatehouse.Testing.LoopbackPorts.Next();

    /// <summary>The host built in the same configuration as these tests (the test command builds the solution first).</summary>
    private static string HostDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/{Configuration}/net10.0/
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "Gatehouse.Host", "bin", configuration, "net10.0", "gatehouse.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new FileNotFoundException($"gatehouse.dll ({configuration}) not found above {AppContext.BaseDirectory}; build src/Gatehouse.Host first.");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
