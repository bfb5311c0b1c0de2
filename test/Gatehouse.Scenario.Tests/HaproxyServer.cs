using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// A real HAProxy (the Debian package) in front of gateways: HTTP mode, round robin, and an HTTP <c>/readyz</c> check
/// on each gateway's control port, as an operator would run it. Started in the foreground on free ports with a
/// config in a temporary folder, stopped by PID.
/// </summary>
internal sealed class HaproxyServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dir;

    private HaproxyServer(Process process, string dir, int port, int statsPort)
    {
        _process = process;
        _dir = dir;
        Port = port;
        StatsPort = statsPort;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The frontend clients send traffic to.</summary>
    public int Port { get; }

    public int StatsPort { get; }

    public bool HasExited => _process.HasExited;

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

    /// <summary>The haproxy binary, or null when the package is not installed.</summary>
    public static string? FindBinary()
    {
        foreach (var path in new[] { "/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy" })
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Starts HAProxy balancing over <paramref name="gateways"/> (name, traffic port, control port).</summary>
    public static HaproxyServer Start(string binary, IReadOnlyList<(string Name, int Traffic, int Control)> gateways)
    {
        var dir = Directory.CreateTempSubdirectory("gatehouse-haproxy-").FullName;
        var port = GatehouseProcess.FreePort();
        var statsPort = GatehouseProcess.FreePort();
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"""
            global
                maxconn 2000

            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s

            frontend gatehouse
                bind 127.0.0.1:{port}
                default_backend gateways

            # A gateway leaves rotation on its first failed /readyz (it answers 503 as soon as it is told to stop) and
            # comes back on its first passing one. inter 200ms x fall 1 is well inside the gateway's drain delay.
            backend gateways
                balance roundrobin
                option httpchk
                http-check send meth GET uri /readyz
                http-check expect status 200
                default-server inter 200ms fastinter 200ms downinter 200ms fall 1 rise 1

            """);
        foreach (var (name, traffic, control) in gateways)
        {
            config.Append(CultureInfo.InvariantCulture, $"    server {name} 127.0.0.1:{traffic} check port {control}\n");
        }

        config.Append(CultureInfo.InvariantCulture, $"""

            listen stats
                bind 127.0.0.1:{statsPort}
                stats enable
                stats uri /stats

            """);
        var file = Path.Combine(dir, "haproxy.cfg");
        File.WriteAllText(file, config.ToString());

        // -db: stay in the foreground, so the process started here is the one stopped by PID.
        var info = new ProcessStartInfo(binary)
        {
            ArgumentList = { "-db", "-f", file },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return new HaproxyServer(Process.Start(info)!, dir, port, statsPort);
    }

    /// <summary>What HAProxy's statistics say of each server of the backend, by name; empty while it does not answer.</summary>
    public async Task<IReadOnlyDictionary<string, HaproxyServerStats>> ServerStatesAsync(HttpClient client)
    {
        var states = new Dictionary<string, HaproxyServerStats>(StringComparer.Ordinal);
        string csv;
        try
        {
            csv = await client.GetStringAsync($"http://127.0.0.1:{StatsPort}/stats;csv");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return states;
        }

        // # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,...
        foreach (var line in csv.Split('\n'))
        {
            var fields = line.Split(',');
            if (fields.Length > 17 && fields[0] == "gateways" && fields[1] is not ("FRONTEND" or "BACKEND"))
            {
                states[fields[1]] = new HaproxyServerStats(fields[17], Number(fields[7]), Number(fields[13]), Number(fields[14]),
                    Number(fields[15]), Number(fields[16]));
            }
        }

        return states;
    }

    private static long Number(string field) => field.Length == 0 ? 0 : long.Parse(field, CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
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

/// <summary>
/// One server's line of HAProxy's CSV statistics: status, sessions sent to it (stot), connection errors (econ),
/// response errors (eresp), retries (wretr) and redispatches to another server (wredis).
/// </summary>
internal sealed record HaproxyServerStats(string Status, long Sessions, long ConnectionErrors, long ResponseErrors, long Retries, long Redispatches);
