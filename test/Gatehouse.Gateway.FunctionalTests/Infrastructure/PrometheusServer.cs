using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package) on a free loopback port with a temp config that
/// scrapes one target every second, and a temp TSDB directory. Stopped by its PID on dispose.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Client { get; }

    /// <summary>
    /// Starts Prometheus scraping <c>http://{target}/metrics</c> every second (job <c>gatehouse</c>) and waits until it
    /// is ready; <paramref name="ruleFile"/>, when given, is loaded as a rule file and evaluated every second.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string target, string? ruleFile = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: install the 'prometheus' package (scripts/test.sh does).");
        }

        var directory = Directory.CreateTempSubdirectory("gatehouse-prom-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $$"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: gatehouse
                scrape_interval: 1s
                scrape_timeout: 1s
                static_configs:
                  - targets: ['{{target}}']
            {{(ruleFile is null ? "" : $"rule_files: ['{ruleFile}']")}}
            """);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(Binary,
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start)!;
        var server = new PrometheusServer(process, directory, port);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited ({process.ExitCode}): {server.Output}");
            }

            try
            {
                using var ready = await server.Client.GetAsync("/-/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"prometheus did not become ready: {server.Output}");
            }

            await Task.Delay(200);
        }
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

    /// <summary>
    /// Runs an instant query (<c>/api/v1/query</c>) and returns the value of its single result, or null when the
    /// result is empty.
    /// </summary>
    public async Task<double?> QueryScalarAsync(string promql)
    {
        var json = await Client.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var root = JsonDocument.Parse(json).RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"query failed: {json}");
        }

        var result = root.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0)
        {
            return null;
        }

        if (result.GetArrayLength() > 1)
        {
            throw new InvalidOperationException($"expected one series: {json}");
        }

        var text = result[0].GetProperty("value")[1].GetString()!;
        return text switch
        {
            "NaN" => double.NaN,
            "+Inf" => double.PositiveInfinity,
            _ => double.Parse(text, CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The state (<c>pending</c>, <c>firing</c>) of each active alert named <paramref name="alertName"/>, with its labels.</summary>
    public async Task<List<(string State, Dictionary<string, string> Labels)>> AlertsAsync(string alertName)
    {
        var json = await Client.GetStringAsync("/api/v1/alerts");
        var alerts = new List<(string, Dictionary<string, string>)>();
        foreach (var alert in JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray())
        {
            var labels = alert.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            if (labels.GetValueOrDefault("alertname") == alertName)
            {
                alerts.Add((alert.GetProperty("state").GetString()!, labels));
            }
        }

        return alerts;
    }

    /// <summary>Polls <paramref name="promql"/> until <paramref name="accept"/> holds; returns the last value.</summary>
    public async Task<double?> WaitForAsync(string promql, Func<double?, bool> accept, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await QueryScalarAsync(promql);
            if (accept(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{promql}' was {value?.ToString(CultureInfo.InvariantCulture) ?? "empty"} after {timeout}. Prometheus log: {Output}");
            }

            await Task.Delay(250);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind does not affect other tests.
        }
    }
}
