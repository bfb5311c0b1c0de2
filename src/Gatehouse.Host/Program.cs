using Gatehouse.Host.Cli;

// gatehouse [all-in-one] [options]   admin + console + gateway + demo services, state in ./data/
// gatehouse admin [--urls URL]       the admin service only
// gatehouse gateway --config FILE | --admin URL   a gateway node only
// gatehouse demo --service S --port P ...         one demo backend
// gatehouse validate FILE            check a declarative config file
// Every command answers --help; each command's options and help text: Cli/CliCommands.cs.
// Exit codes: 0 done (or help/version printed), 1 could not start or the file is invalid, 2 usage error.
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
        _ => await AllInOne.RunAsync(parsed),
    };
}
catch (UsageException e)
{
    return UsageError(command, e.Message);
}

static int Print(string text)
{
    Console.Out.Write(text.EndsWith('\n') ? text : text + Environment.NewLine);
    return 0;
}

static int UnknownCommand(string name)
{
    Console.Error.WriteLine($"gatehouse: unknown command '{name}'. Commands: all-in-one (default), admin, gateway, demo, validate.");
    Console.Error.WriteLine("Run 'gatehouse --help' for usage.");
    return 2;
}

static int UsageError(CliCommand command, string message)
{
    Console.Error.WriteLine($"gatehouse {command.Name}: {message}");
    Console.Error.WriteLine($"Run 'gatehouse {command.Name} --help' for usage.");
    return 2;
}
