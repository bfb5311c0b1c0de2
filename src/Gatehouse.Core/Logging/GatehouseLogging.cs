using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Logging;

/// <summary>How the application log is written to stdout.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per entry: timestamp with date and UTC offset, level, category[event id], message.</summary>
    Text,

    /// <summary>One JSON object per line (ASP.NET Core's JSON console formatter), for log shippers.</summary>
    Json,
}

/// <summary>
/// The console logging every host shares (gateway, admin, demo nodes), so the all-in-one's parts write one format.
/// Both formats are the framework's own console formatters: nothing here runs per log entry.
/// </summary>
public static class GatehouseLogging
{
    /// <summary>The configuration key that picks the format: <c>text</c> (default) or <c>json</c>.</summary>
    public const string FormatKey = "Gatehouse:Logging:Format";

    /// <summary>The command-line switch for <see cref="FormatKey"/>.</summary>
    public const string FormatSwitch = "--log-format";

    /// <summary>
    /// Local time with date, milliseconds and UTC offset (ISO 8601), so lines from hosts in different zones, or
    /// written across midnight or a DST change, sort and correlate without guessing.
    /// </summary>
    public const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffzzz";

    /// <summary>The accepted values of <see cref="FormatKey"/>, as typed.</summary>
    public static readonly IReadOnlyList<string> FormatNames = ["text", "json"];

    /// <summary>Reads a format name (any case); null or empty is <see cref="LogFormat.Text"/>.</summary>
    public static bool TryParseFormat(string? value, out LogFormat format)
    {
        format = LogFormat.Text;
        if (string.IsNullOrWhiteSpace(value) || string.Equals(value.Trim(), "text", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(value.Trim(), "json", StringComparison.OrdinalIgnoreCase))
        {
            format = LogFormat.Json;
            return true;
        }

        return false;
    }

    /// <summary>The format <paramref name="configuration"/> asks for.</summary>
    /// <exception cref="OptionsValidationException">The value is neither <c>text</c> nor <c>json</c>; the hosts print
    /// the message in one line and exit 1, as for any other invalid setting.</exception>
    public static LogFormat ReadFormat(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[FormatKey];
        return TryParseFormat(value, out var format)
            ? format
            : throw new OptionsValidationException(FormatKey, typeof(LogFormat),
                [$"{FormatKey} must be text or json, not '{value}'."]);
    }

    /// <summary>Replaces the logging providers with the console in the format <paramref name="configuration"/> asks for.</summary>
    public static ILoggingBuilder AddGatehouseConsole(this ILoggingBuilder logging, IConfiguration configuration)
        => logging.AddGatehouseConsole(ReadFormat(configuration));

    /// <summary>Replaces the logging providers with the console in <paramref name="format"/>.</summary>
    public static ILoggingBuilder AddGatehouseConsole(this ILoggingBuilder logging, LogFormat format)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        if (format == LogFormat.Json)
        {
            // Not indented: one object per line is what line-oriented shippers (journald, Fluent Bit, Vector) expect;
            // a multi-line message or stack trace is escaped inside its string. Scopes stay out: Kestrel's per-connection
            // scope would add a field to every line without saying more than the message does.
            logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = TimestampFormat;
                o.UseUtcTimestamp = false;
                o.IncludeScopes = false;
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = TimestampFormat + " ";
                o.UseUtcTimestamp = false;
            });
        }

        return logging;
    }
}
