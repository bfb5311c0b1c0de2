using System.Text;
using Gatehouse.Core.Config;

namespace Gatehouse.Host.Cli;

/// <summary>
/// <c>gatehouse export --admin URL [--group G] [--format yaml|json] [-o FILE]</c>: the group's current config from the
/// admin's export endpoint, as YAML (the default) or JSON, on standard output or into a file that <c>gatehouse validate</c>,
/// a gateway's <c>--config</c> and the admin's import all accept.
/// </summary>
internal static class ExportCommand
{
    public static async Task<int> RunAsync(ParsedCommandLine parsed)
    {
        var output = parsed.Value("--output") ?? parsed.Value("-o");
        var format = Format(parsed.Value("--format"), output);
        using var admin = AdminApiClient.From(parsed);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/groups/{Uri.EscapeDataString(admin.Group)}/export");
        request.Headers.Accept.ParseAdd(format == ConfigFormat.Yaml ? "application/yaml" : "application/json");
        var (body, response) = await admin.SendAsync(request, $"export group '{admin.Group}'");
        if (!response.IsSuccessStatusCode)
        {
            throw new AdminCallException($"cannot export group '{admin.Group}': {AdminApiClient.Detail(body)} ({(int)response.StatusCode})");
        }

        if (output is null)
        {
            System.Console.Out.Write(body);
            return 0;
        }

        // Written beside the target and renamed into place: a gateway watching the file never reads half of it.
        var full = Path.GetFullPath(output);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            await File.WriteAllTextAsync(temporary, body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            throw new AdminCallException($"cannot write {output}: {e.Message}");
        }

        // Read back with the gateway's loader: the line confirms the file is one `validate` and a gateway accept.
        GatewayConfig config;
        try
        {
            config = ConfigLoader.Parse(body, output, format);
        }
        catch (ConfigException e)
        {
            throw new AdminCallException($"{output} was written but does not load: {e.Errors[0]}");
        }

        System.Console.Out.WriteLine($"{output}: group '{admin.Group}', version {config.Version}, {ValidateCommand.Count(config.Services.Count, "service")} ({(format == ConfigFormat.Yaml ? "YAML" : "JSON")})");
        return 0;
    }

    /// <summary><c>--format</c> when given; else the output file's extension (<c>.json</c> → JSON); else YAML.</summary>
    private static ConfigFormat Format(string? option, string? output)
    {
        switch (option?.ToLowerInvariant())
        {
            case "yaml" or "yml":
                return ConfigFormat.Yaml;
            case "json":
                return ConfigFormat.Json;
            case null:
                return output is not null && ConfigLoader.TryGetFormat(output, out var byExtension) ? byExtension : ConfigFormat.Yaml;
            default:
                throw new UsageException($"option '--format' takes yaml or json, not '{option}'");
        }
    }
}
