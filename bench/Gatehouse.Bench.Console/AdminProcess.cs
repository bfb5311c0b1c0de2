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

    /// <summary>utime + stime of <paramref name="pid"/> (all its threads).</summary>
    public static TimeSpan ProcessCpu(int pid) => Read(pid) is { } s ? Seconds(s.UTime + s.STime) : TimeSpan.Zero;

    /// <summary>
    /// CPU time of every process below this one except <paramref name="excluded"/> and its own children: Playwright's
    /// driver and Chromium's processes. Children's time includes that of their exited children (cutime, cstime), so a
    /// renderer that ends within the window is still counted.
    /// </summary>
    public static TimeSpan DescendantsCpu(int excluded)
    {
        var all = Processes();
        var below = Below(all, excluded);
        return Seconds(all.Where(p => below.Contains(p.Pid)).Sum(p => p.Stat.UTime + p.Stat.STime + p.Stat.CUTime + p.Stat.CSTime));
    }

    /// <summary>The processes below this one, except <paramref name="excluded"/> and its own children.</summary>
    public static IReadOnlyCollection<int> Descendants(int excluded) => Below(Processes(), excluded);

    private static List<(int Pid, Stat Stat)> Processes()
    {
        var all = new List<(int Pid, Stat Stat)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Read(pid) is { } stat)
            {
                all.Add((pid, stat));
            }
        }

        return all;
    }

    private static HashSet<int> Below(List<(int Pid, Stat Stat)> all, int excluded)
    {
        var below = new HashSet<int> { Environment.ProcessId };
        for (var added = true; added;)
        {
            added = false;
            foreach (var (pid, stat) in all)
            {
                if (pid != excluded && !below.Contains(pid) && below.Contains(stat.PPid))
                {
                    added = below.Add(pid);
                }
            }
        }

        below.Remove(Environment.ProcessId);
        return below;
    }

    private readonly record struct Stat(int PPid, long UTime, long STime, long CUTime, long CSTime);

    private static TimeSpan Seconds(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    private static Stat? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (in parentheses, may hold spaces): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long L(int field) => long.Parse(f[field - 3], CultureInfo.InvariantCulture);
            return new Stat((int)L(4), L(14), L(15), L(16), L(17));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // Gone meanwhile.
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

/// <summary>
/// Scheduling priority. When the script starts the harness with <c>--nice</c>, the admin (started by the harness)
/// inherits the raised priority, and Playwright's driver and Chromium are put back to 0: the browsers stand in for
/// operators' own machines, so on this shared box they should not take CPU from the server being measured.
/// </summary>
internal static class Priority
{
    /// <summary>This process's nice value (field 19 of <c>/proc/self/stat</c>).</summary>
    public static int Own()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19 - 3], CultureInfo.InvariantCulture);
    }

    /// <summary>Sets every thread of every process below this one, except <paramref name="excluded"/>'s, to nice 0.</summary>
    public static void ResetDescendants(int excluded)
    {
        if (Own() >= 0)
        {
            return;
        }

        foreach (var pid in ProcStat.Descendants(excluded))
        {
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    // nice is per thread on Linux; new threads and children inherit it from the thread that creates them.
                    _ = SetPriority(0, int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture), 0);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int prio);
}
