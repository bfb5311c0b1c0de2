using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gatehouse.Host.Tests.Infrastructure;
using Gatehouse.Scenario.Tests;
using Gatehouse.Testing;

namespace Gatehouse.Host.Tests;

/// <summary>
/// The application log of real processes, read from their stdout: JSON lines, timestamps with date and UTC offset,
/// and client errors as single rate-limited lines while server errors keep their stack.
/// </summary>
public sealed partial class LogFormatTests
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Gateway_LogFormatJson_EveryStdoutLineIsOneJsonObjectWithTheFields()
    {
        using var cwd = new TempDirectory();
        using var silent = RawNode.Silent();
        using var resetting = RawNode.Resetting();
        await using var gateway = await StartGatewayAsync(cwd, silent, resetting, "--log-format", "json");

        // A client error (no exception in the line) and a server error (with its exception).
        Assert.Contains(" 400 ", await RawClient.ExchangeAsync(gateway.Port, BadRequestLine), StringComparison.Ordinal);
        Assert.Contains(" 502 ", await RawClient.ExchangeAsync(gateway.Port, Get("broken")), StringComparison.Ordinal);
        await Eventually.WaitUntilAsync(() => gateway.Process.StandardOutput.Contains("\"EventId\":2101", StringComparison.Ordinal)
            && gateway.Process.StandardOutput.Contains("\"EventId\":4201", StringComparison.Ordinal),
            $"the gateway logged both errors\n{gateway.Process.Output}");
        await gateway.Process.StopGracefullyAsync(StopLimit);

        var entries = ParseJsonLines(gateway.Process.StandardOutput);
        Assert.Contains(entries, e => e.GetProperty("Category").GetString() == "Microsoft.Hosting.Lifetime");
        var clientError = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 4201);
        Assert.Equal("Warning", clientError.GetProperty("LogLevel").GetString());
        Assert.Equal("Gatehouse.Gateway.ClientErrors", clientError.GetProperty("Category").GetString());
        Assert.Contains("Client error BadRequest", clientError.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.False(clientError.TryGetProperty("Exception", out _));
        var serverError = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 2101);
        Assert.Equal("Warning", serverError.GetProperty("LogLevel").GetString());
        Assert.Contains("   at ", serverError.GetProperty("Exception").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_TextFormat_EveryLineHasDateAndUtcOffset()
    {
        using var cwd = new TempDirectory();
        using var silent = RawNode.Silent();
        using var resetting = RawNode.Resetting();
        await using var gateway = await StartGatewayAsync(cwd, silent, resetting);
        await gateway.Process.StopGracefullyAsync(StopLimit);

        AssertTextLines(gateway.Process.StandardOutput, "Microsoft.Hosting.Lifetime");
    }

    [Fact]
    public async Task Gateway_FloodOfClientErrors_OneWarningPerKindAndIntervalWithCountsNoStackButServerErrorsKeepTheirs()
    {
        using var cwd = new TempDirectory();
        using var silent = RawNode.Silent();
        using var resetting = RawNode.Resetting();
        await using var gateway = await StartGatewayAsync(cwd, silent, resetting, "--Gatehouse:Logging:ClientErrorInterval", "00:00:01");
        var before = Encoding.UTF8.GetByteCount(gateway.Process.StandardOutput);

        // 100 request lines Kestrel rejects, 200 malformed chunked bodies, 50 uploads reset mid-body: 350 client
        // errors that used to write about 1.7 KB of stack trace each (the first kind never reached the log at all).
        await ForEachAsync(100, async _ => Assert.Contains(" 400 ", await RawClient.ExchangeAsync(gateway.Port, BadRequestLine), StringComparison.Ordinal));

        // Every Kestrel-rejected request line is logged or counted, exactly once (before the bodies, whose leftover
        // bytes Kestrel may now and then reject as a request line of their own).
        await Eventually.WaitUntilAsync(() => Total(gateway.Process.StandardOutput, "BadRequest") == 100,
            $"all 100 bad request lines are accounted for\n{gateway.Process.StandardOutput}");
        await ForEachAsync(200, _ => RawClient.ExchangeAsync(gateway.Port, MalformedChunked));
        await ForEachAsync(50, _ => RawClient.AbortMidBodyAsync(gateway.Port, UploadHeaders, TimeSpan.FromMilliseconds(50)));
        await Eventually.WaitUntilAsync(() => gateway.Process.StandardOutput.Contains("more MalformedBody client errors like this", StringComparison.Ordinal),
            $"the malformed bodies are counted\n{gateway.Process.StandardOutput}");
        await Eventually.WaitUntilAsync(() => gateway.Process.StandardOutput.Contains("more Aborted client errors like this", StringComparison.Ordinal),
            $"the resets are counted\n{gateway.Process.StandardOutput}");
        // All 350 are accounted for, as lines or in counts.
        await Eventually.WaitUntilAsync(() => AllKinds.Sum(kind => Total(gateway.Process.StandardOutput, kind)) >= 350,
            $"every client error is logged or counted\n{gateway.Process.StandardOutput}");
        var log = gateway.Process.StandardOutput;
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", log, StringComparison.Ordinal);
        var floodBytes = Encoding.UTF8.GetByteCount(log) - before;
        Assert.True(floodBytes < 24 * 1024, $"350 client errors wrote {floodBytes} bytes of log:\n{log}");
        AssertTextLines(log, "Gatehouse.Gateway.ClientErrors");

        // A node that resets the gateway's connection is not the client's doing: logged in full, with the stack.
        Assert.Contains(" 502 ", await RawClient.ExchangeAsync(gateway.Port, Get("broken")), StringComparison.Ordinal);
        await Eventually.WaitUntilAsync(() => gateway.Process.StandardOutput.Contains("Gatehouse.Gateway.Forwarding.HttpForwarder[2101]", StringComparison.Ordinal),
            $"the upstream failure is logged\n{gateway.Process.StandardOutput}");
        var serverError = gateway.Process.StandardOutput.Split('\n').Single(l => l.Contains("[2101]", StringComparison.Ordinal));
        Assert.Contains("UpstreamFailed", serverError, StringComparison.Ordinal);
        Assert.Contains("   at ", serverError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_TextAndJson_LinesCarryDateAndOffsetAndParse()
    {
        using var cwd = new TempDirectory();
        await using (var text = await StartAdminAsync(cwd, "text"))
        {
            await text.StopGracefullyAsync(StopLimit);
            AssertTextLines(text.StandardOutput, "Microsoft.Hosting.Lifetime");
        }

        await using var json = await StartAdminAsync(cwd, "json");
        await json.StopGracefullyAsync(StopLimit);
        var entries = ParseJsonLines(json.StandardOutput);
        Assert.Contains(entries, e => e.GetProperty("Category").GetString() == "Microsoft.Hosting.Lifetime");
    }

    [Fact]
    public async Task AllInOne_LogFormatJson_StdoutIsOnlyJsonLinesFromEveryPart()
    {
        using var cwd = new TempDirectory();
        var (admin, port, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        int[] demo = [GatehouseProcess.FreePort(), GatehouseProcess.FreePort(), GatehouseProcess.FreePort()];
        await using var host = GatehouseProcess.StartIn(cwd.Path, "all-in-one", "--log-format", "json",
            "--admin-port", Text(admin), "--port", Text(port), "--control-port", Text(control), "--demo-ports", string.Join(',', demo.Select(Text)));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitUntilAsync(async () => await StatusAsync(http, $"http://127.0.0.1:{control}/readyz") == HttpStatusCode.OK,
            $"the all-in-one's gateway is ready\n{host.Output}", TimeSpan.FromSeconds(60));
        await Eventually.WaitUntilAsync(() => host.StandardOutput.Contains("Gatehouse.Sdk", StringComparison.Ordinal),
            $"a demo node logged\n{host.Output}", TimeSpan.FromSeconds(30));
        await host.StopGracefullyAsync(StopLimit);

        var entries = ParseJsonLines(host.StandardOutput);
        Assert.Contains(entries, e => e.GetProperty("Category").GetString()!.StartsWith("Gatehouse.Gateway", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.GetProperty("Category").GetString()!.StartsWith("Gatehouse.Sdk", StringComparison.Ordinal));
        Assert.Contains("Gatehouse all-in-one", host.Output, StringComparison.Ordinal); // the banner, on stderr
    }

    [Theory]
    [InlineData("gateway", "--config", "x.yaml", "--log-format", "xml")]
    [InlineData("admin", "--log-format", "xml")]
    [InlineData("all-in-one", "--log-format", "xml")]
    [InlineData("--log-format=xml")]
    [InlineData("demo", "--service", "s", "--port", "1", "--log-format", "xml")]
    public async Task LogFormat_UnknownValue_ExitsTwoNamingIt(params string[] args)
    {
        using var cwd = new TempDirectory();

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, args);

        Assert.True(exitCode == 2, output);
        Assert.Contains("'--log-format' takes text or json, not 'xml'", output, StringComparison.Ordinal);
        Assert.Empty(cwd.Entries());
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("admin")]
    [InlineData("all-in-one")]
    public async Task Help_ListsLogFormat(string command)
    {
        using var cwd = new TempDirectory();

        var (_, output) = await HostRun.RunAsync(cwd.Path, command, "--help");

        Assert.Contains("--log-format FORMAT", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_LogFormatKeyWithUnknownValue_NotStartedInOneLine()
    {
        using var cwd = new TempDirectory();
        var config = cwd.Write("gatehouse.yaml", "services: []\n");

        var (exitCode, output) = await HostRun.RunAsync(cwd.Path, "gateway", "--config", config, "--Gatehouse:Logging:Format", "yaml");

        Assert.True(exitCode == 1, output);
        Assert.Contains("not started: Gatehouse:Logging:Format must be text or json, not 'yaml'.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private const string UploadHeaders = "POST /upload HTTP/1.1\r\nHost: gw\r\nserviceName: orders\r\nContent-Length: 100000\r\n\r\n";

    private const string MalformedChunked =
        "POST /upload HTTP/1.1\r\nHost: gw\r\nserviceName: orders\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";

    private const string BadRequestLine = "GET /x HTTP/1.1 garbage\r\nHost: gw\r\n\r\n";

    private static readonly string[] AllKinds = ["BadRequest", "MalformedBody", "BodyTooLarge", "StalledUpload", "Aborted"];

    private static string Get(string service) => $"GET /x HTTP/1.1\r\nHost: gw\r\nserviceName: {service}\r\nConnection: close\r\n\r\n";

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The count of <paramref name="kind"/> errors the log accounts for: logged lines plus the summaries' counts.</summary>
    private static int Total(string log, string kind)
    {
        var total = 0;
        foreach (var line in log.Split('\n'))
        {
            if (line.Contains($"Client error {kind} from", StringComparison.Ordinal))
            {
                total++;
            }
            else if (SummaryCount().Match(line) is { Success: true } m && m.Groups[2].Value == kind)
            {
                total += int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    [GeneratedRegex(@"\] (\d+) more (\w+) client errors like this")]
    private static partial Regex SummaryCount();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} (trce|dbug|info|warn|fail|crit): \S+\[\d+\] ")]
    private static partial Regex TextLine();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")]
    private static partial Regex JsonTimestamp();

    private static void AssertTextLines(string stdout, string expectedCategory)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            Assert.True(TextLine().IsMatch(line), $"not a timestamped log line: {line}");
        }

        Assert.Contains(lines, l => l.Contains(expectedCategory, StringComparison.Ordinal));
    }

    /// <summary>Parses every stdout line on its own and checks the fields every entry has.</summary>
    private static List<JsonElement> ParseJsonLines(string stdout)
    {
        var entries = new List<JsonElement>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            JsonElement entry;
            try
            {
                using var document = JsonDocument.Parse(line);
                entry = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                Assert.Fail($"not a JSON line ({e.Message}): {line}");
                throw;
            }

            Assert.Equal(JsonValueKind.Object, entry.ValueKind);
            Assert.Matches(JsonTimestamp(), entry.GetProperty("Timestamp").GetString());
            Assert.Equal(JsonValueKind.Number, entry.GetProperty("EventId").ValueKind);
            Assert.Contains(entry.GetProperty("LogLevel").GetString(), new[] { "Trace", "Debug", "Information", "Warning", "Error", "Critical" });
            Assert.False(string.IsNullOrEmpty(entry.GetProperty("Category").GetString()));
            Assert.Equal(JsonValueKind.String, entry.GetProperty("Message").ValueKind);
            entries.Add(entry);
        }

        Assert.NotEmpty(entries);
        return entries;
    }

    private static async Task ForEachAsync(int count, Func<int, Task> action)
    {
        // Four clients at a time: a flood, without queueing hundreds of sockets on a loaded test machine.
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (i, _) => await action(i));
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<RunningGateway> StartGatewayAsync(TempDirectory cwd, RawNode silent, RawNode resetting, params string[] extra)
    {
        var config = cwd.Write("gatehouse.yaml", $"""
            services:
              - name: orders
                nodes:
                  - address: http://127.0.0.1:{silent.Port}
                apis:
                  - id: all
                    path: /**
              - name: broken
                nodes:
                  - address: http://127.0.0.1:{resetting.Port}
                apis:
                  - id: all
                    path: /**
            """);
        var (port, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
        var process = GatehouseProcess.StartIn(cwd.Path, "gw", ["gateway", "--config", config, "--listen", "127.0.0.1",
            "--port", Text(port), "--control-port", Text(control), .. extra]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitUntilAsync(async () => await StatusAsync(http, $"http://127.0.0.1:{control}/readyz") == HttpStatusCode.OK,
            $"the gateway is ready\n{process.Output}", TimeSpan.FromSeconds(60));
        return new RunningGateway(process, port);
    }

    private static async Task<GatehouseProcess> StartAdminAsync(TempDirectory cwd, string format)
    {
        var port = GatehouseProcess.FreePort();
        var admin = GatehouseProcess.StartIn(cwd.Path, "admin", "admin", "--urls", $"http://127.0.0.1:{port}", "--log-format", format,
            "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(cwd.Path, "admin.db")}", "--Gatehouse:Admin:Token", "test-token-0123456789abcdef");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitUntilAsync(async () => await StatusAsync(http, $"http://127.0.0.1:{port}/healthz") == HttpStatusCode.OK,
            $"the admin is up\n{admin.Output}", TimeSpan.FromSeconds(60));
        return admin;
    }

    private sealed record RunningGateway(GatehouseProcess Process, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}
