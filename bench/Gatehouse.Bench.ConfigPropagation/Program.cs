using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

// Config propagation: one admin and N gateway processes of the built host on 127.0.0.1. Makes M changes through the
// admin API, one after another, and measures per change the time from sending the write until every gateway has
// applied the new version. Prints p50/p99/max and the CPU time the admin and the gateways spent per change. Every
// process is killed by PID on exit.
// "Applied" is seen, by default, as the gateway's own log line ("Config version N ... applied"), read from its stdout
// as it is written: no request to the measured processes. With "poll" as the fourth argument it is seen by polling
// every gateway's GET /control/config/version every 10 ms instead (the method of the earlier runs), which costs the
// measured processes CPU: about 25 requests per gateway and change.
// Usage: Gatehouse.Bench.ConfigPropagation <gatehouse.dll> [gateways=10] [changes=100] [log|poll]
if (args.Length < 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Gatehouse.Bench.ConfigPropagation <gatehouse.dll> [gateways] [changes]");
    return 2;
}

var hostDll = Path.GetFullPath(args[0]);
var gatewayCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var changes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
var poll = args.Length > 3 && args[3] == "poll";
// (gateway index, version) → Stopwatch timestamp of the log line saying it applied that version.
var appliedAt = new System.Collections.Concurrent.ConcurrentDictionary<(int Gateway, long Version), long>();
var appliedLine = new System.Text.RegularExpressions.Regex(@"Config version (\d+) \(");
const string Token = "bench-admin-token";
const string Secret = "bench-control-secret";
var dir = Directory.CreateTempSubdirectory("gatehouse-propagation-").FullName;
var processes = new List<Process>();
var controlPorts = new List<int>();
using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(5));
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

try
{
    var adminPort = FreePort();
    var admin = new Uri($"http://127.0.0.1:{adminPort}");
    Start("admin", "--urls", admin.ToString().TrimEnd('/'), "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(dir, "admin.db")}",
        "--Gatehouse:Admin:Token", Token, "--Gatehouse:ControlSecret", Secret);
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    await Until(async () => await Status(new Uri(admin, "/openapi/v1.json")) == HttpStatusCode.OK, "admin up");
    await Post(new Uri(admin, "/api/v1/groups"), """{"name":"default"}""");

    for (var i = 0; i < gatewayCount; i++)
    {
        var control = FreePort();
        controlPorts.Add(control);
        // A one-minute pull interval: what is measured is the push path, not the timer.
        Start("gateway", "--admin", admin.ToString().TrimEnd('/'), "--group", "default", "--listen", "127.0.0.1",
            "--port", FreePort().ToString(CultureInfo.InvariantCulture), "--control-port", control.ToString(CultureInfo.InvariantCulture),
            "--node-id", $"gw-{i}", "--Gatehouse:ControlSecret", Secret,
            "--Gatehouse:Gateway:SnapshotPath", Path.Combine(dir, $"snapshot-{i}.json"),
            "--Gatehouse:Gateway:PullInterval", "00:01:00", "--Gatehouse:Gateway:HeartbeatInterval", "00:00:01",
            "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:Gatehouse.Gateway.ConfigSync.ConfigApplier", "Information");
    }

    await Until(async () => (await Versions()).All(v => v >= 1), "every gateway applied version 1");
    await Until(async () =>
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(admin, "/api/v1/groups/default/gateways"), overall.Token));
        return doc.RootElement.GetArrayLength() == gatewayCount;
    }, "the admin knows every gateway (heartbeats)");
    Console.WriteLine($"1 admin + {gatewayCount} gateways up; {changes} changes, one after another; applied seen by {(poll ? "polling every 10 ms" : "the gateways' log lines")}");

    var cpuBefore = processes.Select(CpuMilliseconds).ToArray();
    var version = 1L;
    var samples = new List<double>();
    var writes = new List<double>();
    var firsts = new List<double>();
    for (var i = 0; i < changes; i++)
    {
        var body = $$"""{"name":"svc-{{i}}","nodes":[{"id":"n1","address":"http://127.0.0.1:9"}],"apis":[{"id":"all","path":"/**"}]}""";
        var started = Stopwatch.GetTimestamp();
        await Post(new Uri(admin, "/api/v1/groups/default/services"), body);
        writes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        version++;
        if (!poll)
        {
            // Every gateway's "applied" line for this version; the times are those of the lines, not of this loop.
            while (Enumerable.Range(0, gatewayCount).Any(g => !appliedAt.ContainsKey((g, version))))
            {
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"change {i}: not every gateway logged version {version} within 30 s");
                }

                await Task.Delay(1, overall.Token);
            }

            var times = Enumerable.Range(0, gatewayCount).Select(g => Stopwatch.GetElapsedTime(started, appliedAt[(g, version)]).TotalMilliseconds).ToList();
            firsts.Add(times.Min());
            samples.Add(times.Max());
            continue;
        }

        var pending = new HashSet<int>(controlPorts);
        while (pending.Count > 0)
        {
            var polled = await Task.WhenAll(pending.Select(async p => (Port: p, Version: await Version(p))));
            if (pending.Count == controlPorts.Count && polled.Any(p => p.Version >= version))
            {
                firsts.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            pending.ExceptWith(polled.Where(p => p.Version >= version).Select(p => p.Port));
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"change {i}: {pending.Count} gateways without version {version} after 30 s");
            }

            if (pending.Count > 0)
            {
                // 10 ms between rounds: finer polling of 10 control ports costs the measured processes CPU on a small box.
                await Task.Delay(10, overall.Token);
            }
        }

        samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    samples.Sort();
    double Percentile(double p) => samples[Math.Max(0, (int)Math.Ceiling(p * samples.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"change -> applied on all {gatewayCount}: n={samples.Count} p50={Percentile(0.50):0.0} ms p99={Percentile(0.99):0.0} ms max={samples[^1]:0.0} ms mean={samples.Average():0.0} ms"));
    writes.Sort();
    firsts.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  of which: admin write answered p50={writes[writes.Count / 2]:0.0} ms p99={writes[Math.Max(0, (int)Math.Ceiling(0.99 * writes.Count) - 1)]:0.0} ms; first gateway applied p50={(firsts.Count > 0 ? firsts[firsts.Count / 2] : 0):0.0} ms"));
    // Where the CPU went (utime + stime from /proc): the admin's share and the gateways' per change.
    var cpuAfter = processes.Select(CpuMilliseconds).ToArray();
    var adminCpu = cpuAfter[0] - cpuBefore[0];
    var gatewayCpu = Enumerable.Range(1, gatewayCount).Sum(i => cpuAfter[i] - cpuBefore[i]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  CPU per change: admin {adminCpu / (double)changes:0.0} ms, each gateway {gatewayCpu / (double)changes / gatewayCount:0.0} ms (all {gatewayCount}: {gatewayCpu / (double)changes:0.0} ms)"));
    var met = Percentile(0.99) <= 300;
    Console.WriteLine($"target p99 <= 300 ms: {(met ? "met" : "NOT met")}");
    return met ? 0 : 1;
}
finally
{
    foreach (var process in processes)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    try
    {
        Directory.Delete(dir, recursive: true);
    }
    catch (IOException)
    {
        // Best effort.
    }
}

void Start(string command, params string[] rest)
{
    var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    info.ArgumentList.Add(hostDll);
    info.ArgumentList.Add(command);
    foreach (var arg in rest)
    {
        info.ArgumentList.Add(arg);
    }

    var process = Process.Start(info)!;
    // Drained so a chatty process never blocks on a full pipe; a gateway's "applied" lines are timed as they arrive.
    var gateway = command == "gateway" ? processes.Count - 1 : -1;
    process.OutputDataReceived += (_, e) =>
    {
        if (gateway >= 0 && e.Data is { } line && appliedLine.Match(line) is { Success: true } match)
        {
            appliedAt.TryAdd((gateway, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)), Stopwatch.GetTimestamp());
        }
    };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    processes.Add(process);
}

async Task Post(Uri uri, string json)
{
    using var response = await http.PostAsync(uri, new StringContent(json, Encoding.UTF8, "application/json"), overall.Token);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {uri} -> {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}

async Task<long> Version(int controlPort)
{
    try
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{controlPort}/control/config/version", overall.Token));
        return doc.RootElement.GetProperty("version") is { ValueKind: JsonValueKind.Number } v ? v.GetInt64() : 0;
    }
    catch (HttpRequestException)
    {
        return 0;
    }
}

async Task<long[]> Versions() => await Task.WhenAll(controlPorts.Select(Version));

async Task<HttpStatusCode> Status(Uri uri)
{
    try
    {
        using var response = await http.GetAsync(uri, overall.Token);
        return response.StatusCode;
    }
    catch (HttpRequestException)
    {
        return 0;
    }
}

async Task Until(Func<Task<bool>> condition, string what)
{
    var deadline = Stopwatch.GetTimestamp();
    while (!await condition())
    {
        if (Stopwatch.GetElapsedTime(deadline) > TimeSpan.FromSeconds(60) || processes.Any(p => p.HasExited))
        {
            throw new TimeoutException($"timed out waiting for: {what}");
        }

        await Task.Delay(50, overall.Token);
    }
}

// utime + stime of a process in milliseconds (Linux /proc/{pid}/stat, fields 14 and 15 in clock ticks of 10 ms).
static long CpuMilliseconds(Process process)
{
    var stat = File.ReadAllText($"/proc/{process.Id}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
