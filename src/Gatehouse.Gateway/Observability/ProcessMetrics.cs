using System.Diagnostics;
using System.Globalization;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// The standard process metrics every Prometheus client library exports (names, types and units as in the
/// Prometheus client guidelines, "Process metrics"), read at scrape time: CPU from the runtime, memory and file
/// descriptors from <c>/proc/self</c> on Linux. Elsewhere the <c>/proc</c>-only families are left out rather than
/// reported as 0.
/// </summary>
internal static class ProcessMetrics
{
    private const string ProcSelf = "/proc/self";

    /// <summary>Read once: the start time of a process does not change.</summary>
    private static readonly double StartTimeSeconds = ReadStartTimeSeconds();

    public static void Write(PrometheusTextWriter w)
    {
        w.Family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        w.Sample("process_cpu_seconds_total", [], Environment.CpuUsage.TotalTime.TotalSeconds);

        w.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        w.Sample("process_resident_memory_bytes", [], ReadResidentBytes());

        if (TryReadVirtualBytes(out var virtualBytes))
        {
            w.Family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
            w.Sample("process_virtual_memory_bytes", [], virtualBytes);
        }

        if (TryCountOpenFds(out var fds))
        {
            w.Family("process_open_fds", "gauge", "Number of open file descriptors.");
            w.Sample("process_open_fds", [], fds);
        }

        if (TryReadFile(ProcSelf + "/limits", out var limits) && ParseMaxOpenFiles(limits) is { } maxFds)
        {
            w.Family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
            w.Sample("process_max_fds", [], maxFds);
        }

        w.Family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        w.Sample("process_start_time_seconds", [], StartTimeSeconds);
    }

    /// <summary>Field <paramref name="index"/> (0 = size, 1 = resident) of <c>/proc/self/statm</c>, in pages.</summary>
    internal static long? ParseStatmPages(string statm, int index)
    {
        var fields = statm.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > index && long.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)
            ? pages
            : null;
    }

    /// <summary>The soft limit of the "Max open files" line of <c>/proc/self/limits</c>; null if absent or unlimited.</summary>
    internal static long? ParseMaxOpenFiles(string limits)
    {
        foreach (var line in limits.Split('\n'))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }

        return null;
    }

    private static long ReadResidentBytes()
    {
        // statm's resident field is what RSS means to ps and to other Prometheus clients; Environment.WorkingSet is
        // the fallback off Linux.
        if (TryReadFile(ProcSelf + "/statm", out var statm) && ParseStatmPages(statm, 1) is { } pages)
        {
            return pages * Environment.SystemPageSize;
        }

        return Environment.WorkingSet;
    }

    private static bool TryReadVirtualBytes(out long bytes)
    {
        bytes = 0;
        if (TryReadFile(ProcSelf + "/statm", out var statm) && ParseStatmPages(statm, 0) is { } pages)
        {
            bytes = pages * Environment.SystemPageSize;
            return true;
        }

        return false;
    }

    private static bool TryCountOpenFds(out long count)
    {
        count = 0;
        try
        {
            // The enumeration opens one descriptor of its own; like other clients, it is counted.
            foreach (var _ in Directory.EnumerateFileSystemEntries(ProcSelf + "/fd"))
            {
                count++;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool TryReadFile(string path, out string text)
    {
        try
        {
            text = File.ReadAllText(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            text = "";
            return false;
        }
    }

    private static double ReadStartTimeSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }
}
