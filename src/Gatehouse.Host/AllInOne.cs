using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Admin;
using Gatehouse.Demo;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

/// <summary>
/// One command for a first look: the admin (SQLite in ./data), one gateway node that takes its config from the
/// admin, and three demo service nodes. On the first start the admin is seeded with samples/gatehouse.yaml;
/// after that the admin's store is the source of truth. The demo nodes join through the SDK like real services:
/// they register with the admin's embedded registry (taking over the sample's nodes of the same address), heartbeat,
/// and deregister and drain when the all-in-one stops.
/// </summary>
internal static class AllInOne
{
    private const string AdminUrl = "http://127.0.0.1:9000";
    private const string Group = "default";

    /// <summary>The demo nodes, registered as the sample config describes them (orders-2 is the gray canary).</summary>
    private static readonly (string Service, string Node, int Port, string Loc, int Weight, string[] Gray)[] DemoNodes =
    [
        ("orders", "orders-1", 5101, "dc1", 100, []),
        ("orders", "orders-2", 5102, "dc2", 50, ["canary"]),
        ("users", "users-1", 5201, "dc1", 100, []),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        // --registry zookeeper://HOST:PORT: the demo nodes register in ZooKeeper and the admin mirrors it; the
        // remaining arguments are the gateway's.
        var registryAt = Array.IndexOf(args, "--registry");
        string? zooKeeper = null;
        if (registryAt >= 0)
        {
            zooKeeper = registryAt + 1 < args.Length ? args[registryAt + 1] : null;
            if (zooKeeper is null || !zooKeeper.StartsWith("zookeeper://", StringComparison.OrdinalIgnoreCase))
            {
                Console.Error.WriteLine("all-in-one: --registry takes zookeeper://HOST:PORT (the embedded HTTP registry is the default)");
                return 2;
            }

            args = [.. args[..registryAt], .. args[(registryAt + 2)..]];
        }

        var dataDir = Path.GetFullPath("data");
        Directory.CreateDirectory(dataDir);

        // Secrets are generated once and kept in ./data so restarts keep working with the same token.
        var token = ReadOrCreateSecret(Path.Combine(dataDir, "admin-token"));
        var controlSecret = ReadOrCreateSecret(Path.Combine(dataDir, "control-secret"));

        var registryToken = ReadOrCreateSecret(Path.Combine(dataDir, "registry-token"));

        // The password the user 'admin' gets when the store has no users yet; later starts ignore it.
        var adminPassword = ReadOrCreateSecret(Path.Combine(dataDir, "admin-password"));

        var admin = AdminApplication.Create(
        [
            "--urls", AdminUrl,
            "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(dataDir, "gatehouse.db")}",
            "--Gatehouse:Admin:Token", token,
            "--Gatehouse:Admin:RegistryToken", registryToken,
            "--Gatehouse:Admin:BootstrapPassword", adminPassword,
            "--Gatehouse:ControlSecret", controlSecret,
            .. (zooKeeper is null ? Array.Empty<string>() : ["--Gatehouse:Admin:ZooKeeper:ConnectString", zooKeeper]),
        ]);
        await admin.StartAsync();
        if (!await SeedAsync(token))
        {
            await admin.StopAsync();
            return 1;
        }

        var demos = new List<WebApplication>();
        foreach (var (service, node, port, loc, weight, gray) in DemoNodes)
        {
            var demo = DemoService.Create(service, node, port, loc, new DemoRegistry(zooKeeper ?? AdminUrl, Group, registryToken, weight, gray));
            await demo.StartAsync();
            demos.Add(demo);
        }

        string[] gatewayArgs =
        [
            "--admin", AdminUrl, "--group", Group, "--loc", "dc1", "--listen", "127.0.0.1", "--node-id", "gw-1",
            "--Gatehouse:ControlSecret", controlSecret,
            "--Gatehouse:Gateway:SnapshotPath", Path.Combine(dataDir, "snapshot-default-gw-1.json"),
            .. args,
        ];
        var gateway = GatewayApplication.Create(gatewayArgs);
        Console.WriteLine($"""
            Gatehouse all-in-one (state in {dataDir})
              gateway   http://127.0.0.1:8080   (control http://127.0.0.1:8081)
              console   {AdminUrl}/   log in as user admin, first password in data/admin-password (change it on the Account page)
              admin     {AdminUrl}/api/v1   OpenAPI {AdminUrl}/openapi/v1.json
              admin token (also in data/admin-token): {token}
              demo services: orders on :5101 and :5102, users on :5201 (registered through the SDK{(zooKeeper is null ? "" : $" in {zooKeeper}")})
            Try:
              curl -H 'serviceName: orders' http://127.0.0.1:8080/orders/42
              curl -H 'Authorization: Bearer {token}' {AdminUrl}/api/v1/groups/default/services
            """);
        await gateway.RunAsync();

        // Demo nodes first and together (each deregisters, then drains), then the admin they deregister with.
        await Task.WhenAll(demos.Select(d => d.StopAsync()));
        await admin.StopAsync();

        return 0;
    }

    /// <summary>On an empty admin store, creates the default group and imports the sample config into it.</summary>
    private static async Task<bool> SeedAsync(string token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(AdminUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var existing = await http.GetAsync($"/api/v1/groups/{Group}/versions?limit=1");
        if (existing.StatusCode != HttpStatusCode.NotFound)
        {
            return true;
        }

        var sample = Commands.FindSample();
        if (sample is null)
        {
            Console.Error.WriteLine("samples/gatehouse.yaml not found: run from the repository root to seed the admin.");
            return false;
        }

        var created = await http.PostAsync("/api/v1/groups", new StringContent($$"""{"name":"{{Group}}"}""", Encoding.UTF8, "application/json"));
        var imported = await http.PostAsync($"/api/v1/groups/{Group}/import",
            new StringContent(await File.ReadAllTextAsync(sample), Encoding.UTF8, "application/yaml"));
        if (!created.IsSuccessStatusCode || !imported.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"Seeding the admin failed: {(int)created.StatusCode} / {(int)imported.StatusCode} {await imported.Content.ReadAsStringAsync()}");
            return false;
        }

        Console.WriteLine($"Seeded group '{Group}' from {sample}.");
        return true;
    }

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
