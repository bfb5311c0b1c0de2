using Gatehouse.Core.Config;

namespace Gatehouse.Host.Cli;

/// <summary>
/// <c>gatehouse validate FILE</c>, as <c>nginx -t</c>: the file goes through the same loader a gateway uses (syntax,
/// shape, validation), so what passes here is what a gateway accepts. Nothing is started or written.
/// </summary>
internal static class ValidateCommand
{
    public static int Run(string? path)
    {
        if (path is null)
        {
            throw new UsageException("FILE is required: gatehouse validate FILE");
        }

        if (Load(path) is not { } config)
        {
            return 1;
        }

        int apis = 0, nodes = 0;
        foreach (var service in config.Services)
        {
            apis += service.Apis.Count;
            nodes += service.Nodes.Count;
        }

        System.Console.WriteLine($"{path}: OK, {Count(config.Services.Count, "service")}, {Count(apis, "API")}, {Count(nodes, "node")}");
        return 0;
    }

    /// <summary>
    /// Loads <paramref name="path"/> as a gateway would; when it is invalid, prints every problem (one per line, each with
    /// its line and column where the file has them) and a closing count on standard error, and returns null.
    /// </summary>
    public static GatewayConfig? Load(string path)
    {
        try
        {
            return ConfigLoader.LoadFile(path);
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                System.Console.Error.WriteLine(error);
            }

            System.Console.Error.WriteLine($"{path}: invalid, {Count(e.Errors.Count, "problem")}");
            return null;
        }
    }

    internal static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
