using System.Net;
using Gatehouse.Admin;
using Gatehouse.Core.Logging;
using Gatehouse.Demo;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Host.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

/// <summary>The host's commands other than the plain gateway and the all-in-one.</summary>
internal static class Commands
{
    public static async Task<int> RunAdminAsync(ParsedCommandLine parsed)
    {
        const string NotStarted = "gatehouse admin: not started: ";

        // Checked before the admin is built: building it migrates the database and may generate a token.
        var urls = parsed.Value("--urls") ?? Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? AdminApplication.DefaultUrl;
        if (ListenPortCheck.FindProblem(AdminPorts(urls, "admin", "--urls")) is { } busy)
        {
            await Console.Error.WriteLineAsync(NotStarted + busy);
            return 1;
        }

        WebApplication admin;
        try
        {
            admin = AdminApplication.Create([.. parsed.Forwarded]);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync(NotStarted + e.Message);
            return 1;
        }

        await using (admin)
        {
            try
            {
                await admin.RunAsync();
            }
            catch (IOException e) when (ListenPortCheck.IsAddressInUse(e))
            {
                await Console.Error.WriteLineAsync(NotStarted + e.Message);
                return 1;
            }
        }

        return 0;
    }

    public static async Task<int> RunDemoAsync(ParsedCommandLine parsed)
    {
        if (parsed.Value("--service") is not { } service || !parsed.Has("--port"))
        {
            throw new UsageException("--service and --port are required");
        }

        DemoRegistry? registry = null;
        if (parsed.Value("--registry") is { } address)
        {
            if (parsed.Value("--group") is not { } group)
            {
                throw new UsageException("--registry needs --group (the gateway group the node joins)");
            }

            registry = new DemoRegistry(address, group, parsed.Value("--registry-token"));
        }

        var port = parsed.Port("--port", 0);
        if (ListenPortCheck.FindProblem([new ListenPort(IPAddress.Loopback, port, "demo node", "--port")]) is { } busy)
        {
            await Console.Error.WriteLineAsync($"gatehouse demo: not started: {busy}");
            return 1;
        }

        GatehouseLogging.TryParseFormat(parsed.Value(GatehouseLogging.FormatSwitch), out var logFormat);
        await DemoService.Create(service, parsed.Value("--node") ?? $"{service}-{port}", port, parsed.Value("--loc"), registry, logFormat).RunAsync();
        return 0;
    }

    /// <summary>
    /// The ports Kestrel will bind for <paramref name="urls"/> (';'-separated, as <c>--urls</c> takes them): an IP host
    /// binds that address, <c>localhost</c> the loopback, anything else (<c>*</c>, <c>+</c>, a name) every address.
    /// </summary>
    public static IEnumerable<ListenPort> AdminPorts(string urls, string role, string option)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress binding;
            try
            {
                binding = BindingAddress.Parse(url);
            }
            catch (FormatException e)
            {
                throw new UsageException($"{option}: {e.Message}");
            }

            if (binding.IsUnixPipe || binding.Port <= 0)
            {
                continue;
            }

            var host = binding.Host.Trim('[', ']');
            var address = IPAddress.TryParse(host, out var ip) ? ip
                : string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
                : IPAddress.Any;
            yield return new ListenPort(address, binding.Port, role, option);
        }
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

/// <summary>A command line that parsed but does not make sense (a required option missing): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
