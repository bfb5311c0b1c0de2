using Gatehouse.Demo;
using Microsoft.AspNetCore.Builder;

/// <summary>The host's commands other than the plain gateway.</summary>
internal static class Commands
{
    public static async Task<int> RunDemoAsync(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        if (Arg("--service") is not { } service || Arg("--port") is not { } port || !int.TryParse(port, out var portNumber))
        {
            Console.Error.WriteLine("usage: gatehouse demo --service NAME --port PORT [--node ID] [--loc LOC] "
                + "[--registry ADMIN_URL|zookeeper://HOST:PORT --group GROUP [--registry-token TOKEN]]");
            return 2;
        }

        DemoRegistry? registry = null;
        if (Arg("--registry") is { } address)
        {
            if (Arg("--group") is not { } group)
            {
                Console.Error.WriteLine("demo: --registry needs --group (the gateway group the node joins)");
                return 2;
            }

            registry = new DemoRegistry(address, group, Arg("--registry-token"));
        }

        await DemoService.Create(service, Arg("--node") ?? $"{service}-{portNumber}", portNumber, Arg("--loc"), registry).RunAsync();
        return 0;
    }

    /// <summary>samples/gatehouse.yaml, looked up from the binary's folder upwards, then in the working directory.</summary>
    public static string? FindSample()
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
