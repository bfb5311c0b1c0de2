using System.Globalization;
using System.Net;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Host.Cli;

/// <summary>The all-in-one's ports and choices, read from its command line.</summary>
internal sealed record AllInOneSettings(
    int AdminPort, int Port, int ControlPort, IPAddress Listen, IReadOnlyList<int> DemoPorts, bool Demo, string? ZooKeeper)
{
    public const int DefaultAdminPort = 9000;
    public const int DefaultPort = 8080;
    public const int DefaultControlPort = 8081;

    /// <summary>orders-1, orders-2 and users-1, as samples/gatehouse.yaml lists them.</summary>
    public static readonly int[] DefaultDemoPorts = [5101, 5102, 5201];

    /// <exception cref="UsageException">A value is malformed, or two of the ports are the same.</exception>
    public static AllInOneSettings From(ParsedCommandLine parsed)
    {
        var zooKeeper = parsed.Value("--registry");
        if (zooKeeper is not null && !zooKeeper.StartsWith("zookeeper://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("--registry takes zookeeper://HOST:PORT (the embedded HTTP registry is the default)");
        }

        var settings = new AllInOneSettings(
            parsed.Port("--admin-port", DefaultAdminPort),
            parsed.Port("--port", DefaultPort),
            parsed.Port("--control-port", DefaultControlPort),
            parsed.Value("--listen") is { } listen ? IPAddress.Parse(listen) : IPAddress.Loopback,
            parsed.Value("--demo-ports") is { } list ? ParsePorts(list) : DefaultDemoPorts,
            Demo: !parsed.Has("--no-demo"),
            zooKeeper);

        // Two parts on one port would fail at start with the second one's bind; name the clash instead.
        var seen = new Dictionary<int, string>();
        foreach (var port in settings.ListenPorts())
        {
            if (!seen.TryAdd(port.Port, port.Option))
            {
                throw new UsageException($"port {port.Port} is given to both {seen[port.Port]} and {port.Option}");
            }
        }

        return settings;
    }

    /// <summary>Every port the all-in-one listens on, with the option that moves it; the demo nodes' only when they run.</summary>
    public IEnumerable<ListenPort> ListenPorts()
    {
        yield return new ListenPort(IPAddress.Loopback, AdminPort, "admin and console", "--admin-port");
        yield return new ListenPort(Listen, Port, "gateway traffic", "--port");
        yield return new ListenPort(Listen, ControlPort, "gateway control", "--control-port");
        if (Demo)
        {
            string[] names = ["demo node orders-1", "demo node orders-2", "demo node users-1"];
            for (var i = 0; i < DemoPorts.Count; i++)
            {
                yield return new ListenPort(IPAddress.Loopback, DemoPorts[i], names[i], "--demo-ports");
            }
        }
    }

    private static int[] ParsePorts(string list)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries);
        var ports = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ports[i]) || ports[i] is < 1 or > 65535)
            {
                throw new UsageException($"--demo-ports takes three port numbers 1..65535 separated by commas, not '{list}'");
            }
        }

        return ports.Length == DefaultDemoPorts.Length
            ? ports
            : throw new UsageException($"--demo-ports takes three ports (orders-1, orders-2, users-1), not {ports.Length}");
    }
}
