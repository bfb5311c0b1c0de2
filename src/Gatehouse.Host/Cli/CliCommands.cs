using System.Reflection;
using System.Text;
using Gatehouse.Core.Logging;
using Gatehouse.Gateway.Hosting;

namespace Gatehouse.Host.Cli;

/// <summary>The host's commands, their options and their help text.</summary>
internal static class CliCommands
{
    public const string AllInOneName = "all-in-one";

    private const string ConfigKeysNote =
        "Any configuration key can be set as --Section:Key VALUE (or --Section:Key=VALUE), e.g.\n"
        + "--Gatehouse:Gateway:PullInterval 00:00:05; environment variables work too (Gatehouse__Gateway__PullInterval).";

    /// <summary><c>--log-format</c>, which every command that runs servers takes.</summary>
    private static readonly CliOption LogFormatOption = new(GatehouseLogging.FormatSwitch, OptionKind.Choice,
        "text | json: application log on stdout, one line or one JSON object per entry (text)", "FORMAT", Choices: GatehouseLogging.FormatNames);

    /// <summary>Help for the gateway's switches; a switch added to the gateway without one here still works and is listed.</summary>
    private static readonly Dictionary<string, (OptionKind Kind, string ValueName, string Help)> _gatewaySwitchHelp = new()
    {
        ["--config"] = (OptionKind.Text, "FILE", "declarative config file (YAML or JSON), reloaded on change"),
        ["--admin"] = (OptionKind.Text, "URL[,URL]", "take the config from this admin instead of a file (a list: the first that answers)"),
        ["--plugins"] = (OptionKind.Text, "DIR", "plugins directory: one folder per plugin, loaded and swapped in while running"),
        ["--plugin-cache"] = (OptionKind.Text, "DIR", "admin mode: cache of the plugin packages the admin distributes (beside the snapshot file)"),
        ["--port"] = (OptionKind.Port, "PORT", "traffic port (8080)"),
        ["--control-port"] = (OptionKind.Port, "PORT", "control port: /healthz, /readyz, /metrics, config push (8081)"),
        ["--h2c-port"] = (OptionKind.Port, "PORT", "cleartext HTTP/2 (h2c) traffic port for gRPC without TLS (off)"),
        ["--listen"] = (OptionKind.Address, "ADDRESS", "address both ports bind to (0.0.0.0)"),
        ["--node-id"] = (OptionKind.Text, "ID", "this node's id (the machine name)"),
        ["--group"] = (OptionKind.Text, "GROUP", "gateway group (default)"),
        ["--loc"] = (OptionKind.Text, "LOC", "this node's datacenter or zone, for nearest routing"),
        ["--redis"] = (OptionKind.Text, "HOST:PORT", "Redis for rate limits with store: redis"),
        ["--tls-port"] = (OptionKind.Port, "PORT", "HTTPS port, once a certificate is given (8443)"),
        ["--tls-cert"] = (OptionKind.Text, "FILE", "PEM certificate chain, leaf first"),
        ["--tls-key"] = (OptionKind.Text, "FILE", "PEM private key of --tls-cert"),
        ["--tls-pfx"] = (OptionKind.Text, "FILE", "PKCS#12 certificate instead of the PEM pair"),
        ["--tls-chain-check"] = (OptionKind.Text, "MODE", "refuse | warn | off: a certificate chain missing an intermediate (refuse)"),
        ["--tls-client-certs"] = (OptionKind.Text, "MODE", "none | optional | require: client certificates, mutual TLS (none)"),
        ["--tls-client-ca"] = (OptionKind.Text, "FILE", "PEM bundle whose roots client certificates must chain to"),
    };

    public static readonly CliCommand Gateway = new(
        "gateway", "a gateway node, from a config file or an admin",
        "gateway (--config FILE | --admin URL) [options]",
        GatewayOptions(), TakesConfigKeys: true, Argument: null,
        ConfigKeysNote + "\nEvery key: docs/configuration.md, \"Gateway node settings\".\n"
        + "On SIGTERM the node drains: /readyz answers 503, it serves for DrainDelay (5 s), then lets requests in flight\n"
        + "finish within ShutdownTimeout (30 s) and exits 0 (docs/operations.md).");

    public static readonly CliCommand Admin = new(
        "admin", "the admin service: REST API, web console, registry",
        "admin [--urls URLS] [--log-format FORMAT] [--Gatehouse:Admin:Key VALUE ...]",
        [
            new("--urls", OptionKind.Text, "where the admin listens, several separated by ';' (http://localhost:9000)", "URLS"),
            new("--environment", OptionKind.Text, "ASP.NET Core environment name (Production)", "NAME"),
            LogFormatOption,
        ],
        TakesConfigKeys: true, Argument: null,
        ConfigKeysNote + "\nEvery key (database, token, control secret, ...): docs/admin-api.md, \"Settings\".");

    public static readonly CliCommand Demo = new(
        "demo", "one demo backend service node",
        "demo --service NAME --port PORT [--node ID] [--loc LOC] [--registry URL --group GROUP [--registry-token TOKEN]]",
        [
            new("--service", OptionKind.Text, "service name the node answers as (required)", "NAME"),
            new("--port", OptionKind.Port, "port on 127.0.0.1 (required)", "PORT"),
            new("--node", OptionKind.Text, "node id (NAME-PORT)", "ID"),
            new("--loc", OptionKind.Text, "datacenter or zone it reports", "LOC"),
            new("--registry", OptionKind.Text, "admin URL or zookeeper://HOST:PORT to register in through the SDK", "URL"),
            new("--group", OptionKind.Text, "gateway group to join (required with --registry)", "GROUP"),
            new("--registry-token", OptionKind.Text, "the admin's registry token", "TOKEN"),
            LogFormatOption with { Forward = false },
        ],
        TakesConfigKeys: false, Argument: null, "");

    public static readonly CliCommand Validate = new(
        "validate", "check a declarative config file and print every problem",
        "validate FILE",
        [], TakesConfigKeys: false, Argument: "FILE",
        "Loads FILE (.yaml, .yml or .json) as a gateway would, prints every problem with its line and column\n"
        + "and exits 1, or prints one OK line (services, APIs, nodes) and exits 0. Starts and writes nothing.");

    private const string AdminCallNotes =
        "The token: --token, else the environment variable " + AdminApiClient.TokenVariable + ", else ./data/admin-token\n"
        + "(the all-in-one's, when run from its directory). An API token of a user works too (docs/admin-api.md,\n"
        + "\"Authentication\").";

    public static readonly CliCommand Export = new(
        "export", "write a group's current config from the admin as YAML or JSON",
        "export --admin URL [--group GROUP] [--token TOKEN] [--format yaml|json] [-o FILE]",
        [
            new("--admin", OptionKind.Text, "the admin's URL, e.g. http://127.0.0.1:9000 (required)", "URL", Forward: false),
            new("--group", OptionKind.Text, "gateway group to export (default)", "GROUP", Forward: false),
            new("--token", OptionKind.Text, "admin API token (role viewer or above)", "TOKEN", Forward: false),
            new("--format", OptionKind.Text, "yaml | json (the -o file's extension, else yaml)", "FORMAT", Forward: false),
            new("--output", OptionKind.Text, "write to FILE (also -o FILE) instead of standard output", "FILE", Forward: false),
            new("-o", OptionKind.Text, "same as --output", "FILE", Forward: false, Listed: false),
        ],
        TakesConfigKeys: false, Argument: null,
        "The file is what `gatehouse validate`, a gateway's --config and the admin's import accept; app secrets\n"
        + "appear only encrypted for transport (enc:v1:...). A file is written whole or not at all (temp file, rename).\n"
        + "Exit codes: 0 exported, 1 the admin cannot be reached or refused (one line says why), 2 usage error.\n"
        + AdminCallNotes);

    public static readonly CliCommand Diff = new(
        "diff", "show what importing a config file would change on the admin, publishing nothing",
        "diff FILE --admin URL [--group GROUP] [--token TOKEN] [--exit-code]",
        [
            new("--admin", OptionKind.Text, "the admin's URL, e.g. http://127.0.0.1:9000 (required)", "URL", Forward: false),
            new("--group", OptionKind.Text, "gateway group to compare with (default)", "GROUP", Forward: false),
            new("--token", OptionKind.Text, "admin API token (role operator or above, as for an import)", "TOKEN", Forward: false),
            new("--exit-code", OptionKind.Flag, "exit 3 when there are changes (else 0 either way)", Forward: false),
        ],
        TakesConfigKeys: false, Argument: "FILE",
        "Checks FILE as `gatehouse validate` does (problems with line and column, exit 1), then asks the admin's\n"
        + "import dry run (POST .../import?dryRun=true) what importing it would change against the group's current\n"
        + "version, and prints '+ kind id' (added), '- kind id' (removed) and '~ kind id field: old → new' (changed).\n"
        + "Nothing is published. Exit codes: 0 the diff was shown, with or without changes (3 with --exit-code when\n"
        + "there are changes), 1 invalid file or the admin cannot be reached or refused (one line says why), 2 usage.\n"
        + AdminCallNotes);

    public static readonly CliCommand AllInOne = new(
        AllInOneName, "admin, console, one gateway and three demo nodes, state in ./data (the default command)",
        "[all-in-one] [options]",
        [
            new("--admin-port", OptionKind.Port, "admin API and web console port (9000)", "PORT", Forward: false),
            new("--port", OptionKind.Port, "gateway traffic port (8080)", "PORT", Forward: false),
            new("--control-port", OptionKind.Port, "gateway control port (8081)", "PORT", Forward: false),
            new("--demo-ports", OptionKind.Text, "ports of the demo nodes orders-1, orders-2 and users-1 (5101,5102,5201)", "P1,P2,P3", Forward: false),
            new("--no-demo", OptionKind.Flag, "start no demo nodes, and seed an empty group instead of the sample", Forward: false),
            new("--registry", OptionKind.Text, "demo nodes register in this ZooKeeper; the admin mirrors it (embedded HTTP registry)", "zookeeper://HOST:PORT", Forward: false),
            LogFormatOption with { Help = LogFormatOption.Help.Replace("application log", "every part's log", StringComparison.Ordinal), Forward = false },
            .. GatewayOptions().Where(o => o.Name is not ("--port" or "--control-port" or GatehouseLogging.FormatSwitch)).Select(o => o with { Listed = false }),
        ],
        TakesConfigKeys: true, Argument: null,
        "Everything listens on 127.0.0.1 (the gateway elsewhere with --listen). The gateway's options\n"
        + "(gatehouse gateway --help) and configuration keys are passed to the all-in-one's gateway.");

    public static readonly IReadOnlyList<CliCommand> All = [AllInOne, Admin, Gateway, Demo, Validate, Diff, Export];

    public static CliCommand? Find(string name)
    {
        foreach (var command in All)
        {
            if (command.Name == name)
            {
                return command;
            }
        }

        return null;
    }

    /// <summary>The product version and, when the build recorded it, the commit (from the informational version <c>1.0.0+sha</c>).</summary>
    public static string VersionText()
    {
        var assembly = typeof(CliCommands).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0
            ? $"gatehouse {informational}"
            : $"gatehouse {informational[..plus]} (commit {informational[(plus + 1)..]})";
    }

    /// <summary>The top-level help: the commands, then the default command's options.</summary>
    public static string RootHelp()
    {
        var text = new StringBuilder();
        text.AppendLine("Gatehouse: an API gateway with its admin service.");
        text.AppendLine();
        text.AppendLine("Usage: gatehouse [COMMAND] [options]");
        text.AppendLine();
        text.AppendLine("Commands:");
        foreach (var command in All)
        {
            text.AppendLine($"  {command.Name,-12}{command.Summary}");
        }

        text.AppendLine();
        text.AppendLine("Options:");
        text.AppendLine("  -h, --help      print help (for a command: gatehouse COMMAND --help) and exit");
        text.AppendLine("  --version       print the version and exit");
        text.AppendLine();
        text.AppendLine("Without a command, gatehouse runs the all-in-one; its options: gatehouse all-in-one --help.");
        return text.ToString();
    }

    public static string Help(CliCommand command)
    {
        var text = new StringBuilder();
        text.AppendLine($"gatehouse {command.Name}: {command.Summary}");
        text.AppendLine();
        text.AppendLine($"Usage: gatehouse {command.Usage}");
        text.AppendLine();
        text.AppendLine("Options:");
        var width = 0;
        foreach (var option in command.Options)
        {
            width = Math.Max(width, option.Listed ? Signature(option).Length : 0);
        }

        foreach (var option in command.Options)
        {
            if (option.Listed)
            {
                text.AppendLine($"  {Signature(option).PadRight(width)}  {option.Help}");
            }
        }

        text.AppendLine($"  {"-h, --help".PadRight(width)}  print this help and exit");
        if (command.Notes.Length > 0)
        {
            text.AppendLine();
            text.AppendLine(command.Notes);
        }

        return text.ToString();
    }

    private static string Signature(CliOption option) => option.Kind == OptionKind.Flag ? option.Name : $"{option.Name} {option.ValueName}";

    private static List<CliOption> GatewayOptions()
    {
        var options = new List<CliOption>();
        foreach (var (name, key) in GatewayApplication.SwitchMappings)
        {
            if (name == LogFormatOption.Name)
            {
                options.Add(LogFormatOption);
                continue;
            }

            options.Add(_gatewaySwitchHelp.TryGetValue(name, out var help)
                ? new CliOption(name, help.Kind, help.Help, help.ValueName)
                : new CliOption(name, OptionKind.Text, $"sets {key}"));
        }

        return options;
    }
}
