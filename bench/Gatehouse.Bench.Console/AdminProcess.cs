using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>
/// The admin under test: <c>gatehouse.dll admin</c> on a free loopback port with its own SQLite file, its output in a
/// log file of the run directory (read only on failure), stopped by PID.
/// </summary>
internal sealed class AdminProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private AdminProcess(Process process, StreamWriter log, string url, string logPath)
    {
        _process = process;
        _log = log;
        Url = url;
        LogPath = logPath;
    }

    public string Url { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static AdminProcess Start(string hostDll, string dir, string token, string password)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     hostDll, "admin", "--urls", url, "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(dir, "admin.db")}",
                     "--Gatehouse:Admin:Token", token, "--Gatehouse:Admin:BootstrapPassword", password,
                 })
        {
            info.ArgumentList.Add(arg);
        }

        var logPath = Path.Combine(dir, "admin.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(info)!;
        // Drained into a file so a chatty admin never blocks on a full pipe and a failure can show what it said.
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AdminProcess(process, log, url, logPath);
    }

    /// <summary>CPU time (user + system, all threads) the admin has used so far, from <c>/proc/PID/stat</c>.</summary>
    public TimeSpan CpuTime() => ProcStat.ProcessCpu(_process.Id);

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output after the harness closed the log.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>CPU figures from <c>/proc</c>: a process's CPU time, and the whole box's busy and total jiffies.</summary>
internal static class ProcStat
{
    private static readonly double TicksPerSecond = 100; // CLK_TCK on Linux x64 (getconf CLK_TCK).

    public static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>(busy, total) jiffies of all cores since boot, from the first line of <c>/proc/stat</c>.</summary>
    public static (long Busy, long Total) Box()
    {
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = values.Take(8).Sum();
        var idle = values[3] + values[4]; // idle + iowait
        return (total - idle, total);
    }

    public static int Cores => Environment.ProcessorCount;
}
