using System.Globalization;
using System.Net;

namespace Gatehouse.Host.Cli;

/// <summary>How an option's value is read (and checked before anything starts).</summary>
internal enum OptionKind
{
    /// <summary>A switch without a value (<c>--no-demo</c>).</summary>
    Flag,

    /// <summary>Any text, taken as given, even when it starts with <c>-</c> (generated secrets can).</summary>
    Text,

    /// <summary>A TCP port, 1 .. 65535.</summary>
    Port,

    /// <summary>An IP address.</summary>
    Address,

    /// <summary>One of the option's <see cref="CliOption.Choices"/>, any case.</summary>
    Choice,
}

/// <summary>One option of a command.</summary>
/// <param name="Name">The option as typed, e.g. <c>--control-port</c>.</param>
/// <param name="Kind">How its value is read.</param>
/// <param name="Help">One line for <c>--help</c>; ends with the default in parentheses where there is one.</param>
/// <param name="ValueName">What <c>--help</c> shows for the value, e.g. <c>PORT</c>.</param>
/// <param name="Forward">Whether the option is handed on to the application the command runs (the gateway reads
/// <c>--port</c> itself); false for options the command itself consumes.</param>
/// <param name="Listed">Whether <c>--help</c> lists it; the all-in-one takes the gateway's options but points to their help.</param>
/// <param name="Choices">The values a <see cref="OptionKind.Choice"/> option takes.</param>
internal sealed record CliOption(string Name, OptionKind Kind, string Help, string ValueName = "VALUE", bool Forward = true, bool Listed = true,
    IReadOnlyList<string>? Choices = null);

/// <summary>A command: its options, whether it takes <c>--Section:Key VALUE</c> configuration keys, and its help.</summary>
/// <param name="Name">The command word (<c>gateway</c>).</param>
/// <param name="Summary">One line for the command list.</param>
/// <param name="Usage">The usage line after <c>gatehouse</c>.</param>
/// <param name="Options">Its options.</param>
/// <param name="TakesConfigKeys">Whether any <c>--Section:Key</c> switch is passed through as a configuration key.</param>
/// <param name="Argument">Name of the one positional argument (<c>FILE</c>), or null when it takes none.</param>
/// <param name="Notes">Lines printed after the options.</param>
internal sealed record CliCommand(
    string Name, string Summary, string Usage, IReadOnlyList<CliOption> Options, bool TakesConfigKeys, string? Argument, string Notes)
{
    public CliOption? Find(string name)
    {
        foreach (var option in Options)
        {
            if (string.Equals(option.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return option;
            }
        }

        return null;
    }
}

/// <summary>A command line read against one <see cref="CliCommand"/>.</summary>
internal sealed class ParsedCommandLine(CliCommand command)
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public CliCommand Command { get; } = command;

    /// <summary><c>--help</c> (or <c>-h</c>) was given: print the command's usage and start nothing.</summary>
    public bool Help { get; set; }

    /// <summary><c>--version</c> was given.</summary>
    public bool Version { get; set; }

    /// <summary>The first usage error (unknown option, missing or malformed value), or null.</summary>
    public string? Error { get; set; }

    /// <summary>The positional argument, when the command takes one.</summary>
    public string? Argument { get; set; }

    /// <summary>The arguments to hand on to the application, in their order: forwarded options and configuration keys.</summary>
    public List<string> Forwarded { get; } = [];

    public void Set(string name, string value) => _values[name] = value;

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public bool Has(string name) => _values.ContainsKey(name);

    public int Port(string name, int fallback) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}

/// <summary>
/// Reads a command line against a command's option table. Hand-written rather than System.CommandLine because the
/// gateway and admin also take an open set of configuration keys (<c>--Gatehouse:Gateway:PullInterval 00:00:05</c>,
/// <c>--Key=value</c>) that ASP.NET Core's command-line configuration provider reads; see docs/architecture.md, "CLI".
/// </summary>
/// <remarks>
/// Rules, chosen to match that provider so every switch it accepted before still means the same: a value is the next
/// argument whatever it looks like (or follows <c>=</c>); the last of a repeated option wins; a switch whose name has
/// a <c>:</c> is a configuration key. Anything else that starts with <c>-</c> and is not in the table is an error, and
/// so is a stray word: a typo must stop the command, not start servers with the typo ignored.
/// </remarks>
internal static class CommandLineParser
{
    public static ParsedCommandLine Parse(CliCommand command, IReadOnlyList<string> args)
    {
        var parsed = new ParsedCommandLine(command);
        for (var i = 0; i < args.Count && parsed.Error is null; i++)
        {
            var token = args[i];
            if (token is "--help" or "-h" or "-?")
            {
                // Help wins over any error in the rest of the line, so it always answers.
                parsed.Help = true;
                return parsed;
            }

            if (token == "--version")
            {
                parsed.Version = true;
                return parsed;
            }

            if (!token.StartsWith('-') || token == "-")
            {
                if (command.Argument is null || parsed.Argument is not null)
                {
                    parsed.Error = $"unexpected argument '{token}'";
                }
                else
                {
                    parsed.Argument = token;
                }

                continue;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? token[..equals] : token;
            var inline = equals > 0 ? token[(equals + 1)..] : null;
            if (command.TakesConfigKeys && name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':', StringComparison.Ordinal))
            {
                if (inline is null && i + 1 >= args.Count)
                {
                    parsed.Error = $"configuration key '{name}' needs a value";
                    continue;
                }

                parsed.Forwarded.Add(token);
                if (inline is null)
                {
                    parsed.Forwarded.Add(args[++i]);
                }

                continue;
            }

            if (command.Find(name) is not { } option)
            {
                parsed.Error = $"unknown option '{name}'{Suggest(command, name)}";
                continue;
            }

            if (option.Kind == OptionKind.Flag)
            {
                if (inline is not null)
                {
                    parsed.Error = $"option '{option.Name}' takes no value";
                    continue;
                }

                parsed.Set(option.Name, "true");
                if (option.Forward)
                {
                    parsed.Forwarded.Add(option.Name);
                }

                continue;
            }

            if (inline is null && i + 1 >= args.Count)
            {
                parsed.Error = $"option '{option.Name}' needs a value ({option.ValueName})";
                continue;
            }

            var value = inline ?? args[++i];
            parsed.Error = Check(option, value);
            parsed.Set(option.Name, value);
            if (option.Forward)
            {
                parsed.Forwarded.Add(option.Name);
                parsed.Forwarded.Add(value);
            }
        }

        return parsed;
    }

    private static string? Check(CliOption option, string value) => option.Kind switch
    {
        OptionKind.Port when !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535
            => $"option '{option.Name}' takes a port number 1..65535, not '{value}'",
        OptionKind.Address when !IPAddress.TryParse(value, out _)
            => $"option '{option.Name}' takes an IP address, not '{value}'",
        OptionKind.Choice when !IsChoice(option, value)
            => $"option '{option.Name}' takes {string.Join(" or ", option.Choices ?? [])}, not '{value}'",
        _ => null,
    };

    private static bool IsChoice(CliOption option, string value)
    {
        foreach (var choice in option.Choices ?? [])
        {
            if (string.Equals(choice, value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>" (did you mean '--port'?)" when one option is a short edit away from what was typed.</summary>
    private static string Suggest(CliCommand command, string typed)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var option in command.Options)
        {
            var distance = Distance(typed.ToLowerInvariant(), option.Name);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (option.Name, distance);
            }
        }

        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    private static int Distance(string a, string b) => Gatehouse.Core.Text.EditDistance.Between(a, b);
}
