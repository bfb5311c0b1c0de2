using Gatehouse.Demo;
using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

/// <summary>The host's commands other than the plain gateway.</summary>
internal static class Commands
{
    /// <summary>The demo nodes the sample config routes to.</summary>
    private static readonly (string Service, string Node, int Port, string Loc)[] DemoNodes =
    [
        ("orders", "orders-1", 5101, "dc1"),
        ("orders", "orders-2", 5102, "dc2"),
        ("users", "users-1", 5201, "dc1"),
    ];

    public static async Task<int> RunDemoAsync(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        if (Arg("--service") is not { } service || Arg("--port") is not { } port || !int.TryParse(port, out var portNumber))
        {
            Console.Error.WriteLine("usage: gatehouse demo --service NAME --port PORT [--node ID] [--loc LOC]");
            return 2;
        }

        await DemoService.Create(service, Arg("--node") ?? $"{service}-{portNumber}", portNumber, Arg("--loc")).RunAsync();
        return 0;
    }

    /// <summary>Gateway + demo services. The config lives in ./data/gatehouse.yaml (seeded from the sample) so edits hot-reload.</summary>
    public static async Task<int> RunAllInOneAsync(string[] args)
    {
        var dataDir = Path.GetFullPath("data");
        Directory.CreateDirectory(dataDir);
        var configPath = Path.Combine(dataDir, "gatehouse.yaml");
        if (!File.Exists(configPath))
        {
            var sample = FindSample();
            if (sample is null)
            {
                Console.Error.WriteLine("samples/gatehouse.yaml not found; run from the repository root or pass --config.");
                return 2;
            }

            File.Copy(sample, configPath);
        }

        var demos = new List<WebApplication>();
        foreach (var (service, node, port, loc) in DemoNodes)
        {
            var demo = DemoService.Create(service, node, port, loc);
            await demo.StartAsync();
            demos.Add(demo);
        }

        string[] gatewayArgs = ["--config", configPath, "--loc", "dc1", "--listen", "127.0.0.1", .. args];
        var gateway = GatewayApplication.Create(gatewayArgs);
        Console.WriteLine($"Gatehouse all-in-one: gateway http://127.0.0.1:8080, control http://127.0.0.1:8081, config {configPath}");
        Console.WriteLine("Try: curl -H 'serviceName: orders' http://127.0.0.1:8080/orders/42");
        await gateway.RunAsync();
        foreach (var demo in demos)
        {
            await demo.StopAsync();
        }

        return 0;
    }

    private static string? FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "gatehouse.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var cwd = Path.Combine(Directory.GetCurrentDirectory(), "samples", "gatehouse.yaml");
        return File.Exists(cwd) ? cwd : null;
    }
}
