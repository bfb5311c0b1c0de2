using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gatehouse.Admin;
using Gatehouse.Core.Logging;
using Gatehouse.Demo;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Host.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

/// <summary>
/// One command for a first look: the admin (SQLite in ./data), one gateway node that takes its config from the
/// admin, and three demo service nodes. On the first start the admin is seeded with samples/gatehouse.yaml;
/// after that the admin's store is the source of truth. The demo nodes join through the SDK like real services:
/// they register with the admin's embedded registry (taking over the sample's nodes of the same address), heartbeat,
/// and deregister and drain when the all-in-one stops.
/// </summary>
internal static partial class AllInOne
{
    private const string Group = "default";
    private const string NotStarted = "gatehouse all-in-one: not started: ";

    /// <summary>The demo nodes, registered as the sample config describes them (orders-2 is the gray canary).</summary>
    private static readonly (string Service, string Node, string Loc, int Weight, string[] Gray)[] DemoNodes =
    [
        ("orders", "orders-1", "dc1", 100, []),
        ("orders", "orders-2", "dc2", 50, ["canary"]),
        ("users", "users-1", "dc1", 100, []),
    ];

    public static async Task<int> RunAsync(ParsedCommandLine parsed)
    {
        var settings = AllInOneSettings.From(parsed);
        LogFormat logFormat;
        try
        {
            logFormat = LogFormatOf(parsed);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync(NotStarted + e.Message);
            return 1;
        }

        // With JSON logs stdout carries only JSON lines, so a log shipper can take all of it; the banner and the
        // seeding lines, written for a person, go to stderr.
        var human = logFormat == LogFormat.Json ? Console.Error : Console.Out;
        string[] logArgs = ["--" + GatehouseLogging.FormatKey, logFormat == LogFormat.Json ? "json" : "text"];

        // Every port is checked before anything is started or written, so a busy one costs nothing to fix.
        if (ListenPortCheck.FindProblem(settings.ListenPorts()) is { } busy)
        {
            await Console.Error.WriteLineAsync(NotStarted + busy);
            return 1;
        }

        var adminUrl = $"http://127.0.0.1:{settings.AdminPort}";
        var zooKeeper = settings.ZooKeeper;
        var dataDir = Path.GetFullPath("data");
        Directory.CreateDirectory(dataDir);

        // Secrets are generated once and kept in ./data so restarts keep working with the same token.
        var token = ReadOrCreateSecret(Path.Combine(dataDir, "admin-token"));
        var controlSecret = ReadOrCreateSecret(Path.Combine(dataDir, "control-secret"));

        var registryToken = ReadOrCreateSecret(Path.Combine(dataDir, "registry-token"));

        // The password the user 'admin' gets when the store has no users yet; later starts ignore it.
        var adminPassword = ReadOrCreateSecret(Path.Combine(dataDir, "admin-password"));

        WebApplication? admin = null;
        var demos = new List<WebApplication>();
        try
        {
            admin = AdminApplication.Create(
            [
                "--urls", adminUrl,
                "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(dataDir, "gatehouse.db")}",
                "--Gatehouse:Admin:Token", token,
                "--Gatehouse:Admin:RegistryToken", registryToken,
                "--Gatehouse:Admin:BootstrapPassword", adminPassword,
                "--Gatehouse:ControlSecret", controlSecret,
                .. (zooKeeper is null ? Array.Empty<string>() : ["--Gatehouse:Admin:ZooKeeper:ConnectString", zooKeeper]),
                .. logArgs,
            ]);
            await admin.StartAsync();
            if (!await SeedAsync(adminUrl, token, settings, human))
            {
                await admin.StopAsync();
                return 1;
            }

            if (settings.Demo)
            {
                for (var i = 0; i < DemoNodes.Length; i++)
                {
                    var (service, node, loc, weight, gray) = DemoNodes[i];
                    var demo = DemoService.Create(service, node, settings.DemoPorts[i], loc,
                        new DemoRegistry(zooKeeper ?? adminUrl, Group, registryToken, weight, gray), logFormat);
                    demos.Add(demo);
                    await demo.StartAsync();
                }
            }

            string[] gatewayArgs =
            [
                "--admin", adminUrl, "--group", Group, "--loc", "dc1", "--listen", "127.0.0.1", "--node-id", "gw-1",
                "--port", settings.Port.ToString(CultureInfo.InvariantCulture),
                "--control-port", settings.ControlPort.ToString(CultureInfo.InvariantCulture),
                "--Gatehouse:ControlSecret", controlSecret,
                "--Gatehouse:Gateway:SnapshotPath", Path.Combine(dataDir, "snapshot-default-gw-1.json"),
                .. logArgs,

                // No balancer sits in front of the all-in-one, and its admin and demo nodes stop on the same signal, so
                // its gateway drains without the delay: /readyz fails and in-flight requests finish. The option overrides.
                "--Gatehouse:Gateway:DrainDelay", "00:00:00",
                .. parsed.Forwarded,
            ];
            var gateway = GatewayApplication.Create(gatewayArgs);
            var gatewayHost = settings.Listen.Equals(IPAddress.Any) ? "127.0.0.1" : settings.Listen.ToString();
            await human.WriteLineAsync(Banner(dataDir, adminUrl, $"http://{gatewayHost}:{settings.Port}", $"http://{gatewayHost}:{settings.ControlPort}",
                token, settings, zooKeeper));
            await gateway.RunAsync();
        }
        catch (IOException e) when (ListenPortCheck.IsAddressInUse(e))
        {
            // Taken between the check and Kestrel's bind: Kestrel's message names the address.
            await Console.Error.WriteLineAsync(NotStarted + e.Message);
            await StopAsync(demos, admin);
            return 1;
        }

        await StopAsync(demos, admin);
        return 0;
    }

    /// <summary>
    /// <c>--log-format</c>, else <c>Gatehouse:Logging:Format</c> given as a configuration key or environment variable,
    /// read once here so the admin, the demo nodes and the gateway all write the same format.
    /// </summary>
    private static LogFormat LogFormatOf(ParsedCommandLine parsed)
    {
        if (parsed.Value(GatehouseLogging.FormatSwitch) is { } option)
        {
            // Checked by the command-line parser already.
            GatehouseLogging.TryParseFormat(option, out var chosen);
            return chosen;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. parsed.Forwarded]).Build();
        return GatehouseLogging.ReadFormat(configuration);
    }

    /// <summary>Demo nodes first and together (each deregisters, then drains), then the admin they deregister with.</summary>
    private static async Task StopAsync(List<WebApplication> demos, WebApplication? admin)
    {
        await Task.WhenAll(demos.Select(d => d.StopAsync()));
        if (admin is not null)
        {
            await admin.StopAsync();
        }
    }

    private static string Banner(string dataDir, string adminUrl, string gatewayUrl, string controlUrl, string token,
        AllInOneSettings settings, string? zooKeeper)
    {
        var text = new StringBuilder();
        text.AppendLine($"Gatehouse all-in-one (state in {dataDir})");
        text.AppendLine($"  gateway   {gatewayUrl}   (control {controlUrl})");
        text.AppendLine($"  console   {adminUrl}/   log in as user admin, first password in data/admin-password (change it on the Account page)");
        text.AppendLine($"  admin     {adminUrl}/api/v1   OpenAPI {adminUrl}/openapi/v1.json");
        text.AppendLine($"  admin token (also in data/admin-token): {token}");
        text.AppendLine(settings.Demo
            ? $"  demo services: orders on :{settings.DemoPorts[0]} and :{settings.DemoPorts[1]}, users on :{settings.DemoPorts[2]} "
                + $"(registered through the SDK{(zooKeeper is null ? "" : $" in {zooKeeper}")})"
            : $"  demo services: none (--no-demo); group '{Group}' starts empty");
        text.AppendLine("Try:");
        if (settings.Demo)
        {
            text.AppendLine($"  curl -H 'serviceName: orders' {gatewayUrl}/orders/42");
        }

        text.Append($"  curl -H 'Authorization: Bearer {token}' {adminUrl}/api/v1/groups/{Group}/services");
        return text.ToString();
    }

    /// <summary>
    /// On an empty admin store, creates the default group and imports the sample config into it, its demo node
    /// addresses moved to the chosen demo ports; with --no-demo the group starts empty.
    /// </summary>
    private static async Task<bool> SeedAsync(string adminUrl, string token, AllInOneSettings settings, TextWriter human)
    {
        using var http = new HttpClient { BaseAddress = new Uri(adminUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var existing = await http.GetAsync($"/api/v1/groups/{Group}/versions?limit=1");
        if (existing.StatusCode != HttpStatusCode.NotFound)
        {
            return true;
        }

        string? sample = null;
        if (settings.Demo && (sample = Commands.FindSample()) is null)
        {
            Console.Error.WriteLine("samples/gatehouse.yaml not found: run from the repository root to seed the admin, or use --no-demo.");
            return false;
        }

        var created = await http.PostAsync("/api/v1/groups", new StringContent($$"""{"name":"{{Group}}"}""", Encoding.UTF8, "application/json"));
        if (!created.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"Seeding the admin failed: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            return false;
        }

        if (sample is null)
        {
            await human.WriteLineAsync($"Created the empty group '{Group}'.");
            return true;
        }

        var text = SampleNodePorts().Replace(await File.ReadAllTextAsync(sample),
            m => $"127.0.0.1:{settings.DemoPorts[Array.IndexOf(AllInOneSettings.DefaultDemoPorts, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))]}");
        var imported = await http.PostAsync($"/api/v1/groups/{Group}/import", new StringContent(text, Encoding.UTF8, "application/yaml"));
        if (!imported.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"Seeding the admin failed: {(int)imported.StatusCode} {await imported.Content.ReadAsStringAsync()}");
            return false;
        }

        await human.WriteLineAsync($"Seeded group '{Group}' from {sample}.");
        return true;
    }

    /// <summary>The sample's demo node addresses (the demo nodes take them over when they register).</summary>
    [GeneratedRegex(@"127\.0\.0\.1:(5101|5102|5201)\b")]
    private static partial Regex SampleNodePorts();

    private static string ReadOrCreateSecret(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        File.WriteAllText(path, secret);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return secret;
    }
}
