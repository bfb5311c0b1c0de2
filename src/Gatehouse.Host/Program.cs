using Gatehouse.Host.Cli;

// gatehouse [all-in-one] [options]   admin + console + gateway + demo services, state in ./data/
// gatehouse admin [--urls URL]       the admin service only
// gatehouse gateway --config FILE | --admin URL   a gateway node only
// gatehouse demo --service S --port P ...         one demo backend
// gatehouse validate FILE            check a declarative config file
// gatehouse diff FILE --admin URL    what importing FILE would change (the admin's import dry run)
// gatehouse export --admin URL       a group's current config as YAML or JSON
// Every command answers --help; each command's options and help text: Cli/CliCommands.cs.
// Exit codes: 0 done (or help/version printed), 1 could not start, the file is invalid or the admin could not be asked,
// 2 usage error, 3 `diff --exit-code` found changes.
if (args.Length > 0 && args[0] is "--help" or "-h" or "-?" or "help")
{
    if (args[0] == "help" && args.Length > 1)
    {
        return CliCommands.Find(args[1]) is { } topic ? Print(CliCommands.Help(topic)) : UnknownCommand(args[1]);
    }

    return Print(CliCommands.RootHelp());
}

if (args.Length > 0 && args[0] == "--version")
{
    return Print(CliCommands.VersionText());
}

var named = args.Length > 0 && !args[0].StartsWith('-');
if (named && CliCommands.Find(args[0]) is null)
{
    return UnknownCommand(args[0]);
}

var command = named ? CliCommands.Find(args[0])! : CliCommands.AllInOne;
var parsed = CommandLineParser.Parse(command, named ? args[1..] : args);
if (parsed.Help)
{
    return Print(CliCommands.Help(command));
}

if (parsed.Version)
{
    return Print(CliCommands.VersionText());
}

if (parsed.Error is not null)
{
    return UsageError(command, parsed.Error);
}

try
{
    return command.Name switch
    {
        "gateway" => await Gatehouse.Gateway.Hosting.GatewayApplication.RunAsync([.. parsed.Forwarded]),
        "admin" => await Commands.RunAdminAsync(parsed),
        "demo" => await Commands.RunDemoAsync(parsed),
        "validate" => ValidateCommand.Run(parsed.Argument),
        "diff" => await DiffCommand.RunAsync(parsed),
        "export" => await ExportCommand.RunAsync(parsed),
        _ => await AllInOne.RunAsync(parsed),
    };
}
catch (UsageException e)
{
    return UsageError(command, e.Message);
}
catch (AdminCallException e)
{
    // One line: what could not be done and why (unreachable, refused token, unknown group), never a stack trace.
    Console.Error.WriteLine($"gatehouse {command.Name}: {e.Message}");
    return 1;
}

static int Print(string text)
{
    Console.Out.Write(text.EndsWith('\n') ? text : text + Environment.NewLine);
    return 0;
}

static int UnknownCommand(string name)
{
    Console.Error.WriteLine($"gatehouse: unknown command '{name}'. Commands: all-in-one (default), admin, gateway, demo, validate, diff, export.");
    Console.Error.WriteLine("Run 'gatehouse --help' for usage.");
    return 2;
}

static int UsageError(CliCommand command, string message)
{
    Console.Error.WriteLine($"gatehouse {command.Name}: {message}");
    Console.Error.WriteLine($"Run 'gatehouse {command.Name} --help' for usage.");
    return 2;
}
