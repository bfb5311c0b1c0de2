using System.Text;

namespace Gatehouse.Core.Config;

/// <summary>Text formats a declarative config file can be written in.</summary>
public enum ConfigFormat
{
    /// <summary>YAML 1.2-style text (<c>.yaml</c>, <c>.yml</c>); see <c>docs/configuration.md</c> for how scalars are typed.</summary>
    Yaml,

    /// <summary>JSON text (<c>.json</c>) in the <see cref="ConfigSerializer"/> form; comments and trailing commas allowed.</summary>
    Json,
}

/// <summary>
/// Loads a declarative config file (YAML or JSON) into a validated <see cref="GatewayConfig"/>, or rejects it with one
/// <see cref="ConfigException"/> that lists every problem found.
/// </summary>
/// <remarks>
/// <para>Pipeline: :: Step 1: read the text into a JSON tree that remembers lines (syntax errors stop here).
/// :: Step 2: check the tree against the model, reporting type errors, unknown keys and nulls, and drop what does not
/// fit. :: Step 3: deserialize through <see cref="ConfigSerializer"/>. :: Step 4: run <see cref="ConfigValidator"/>,
/// leaving out its errors about values Step 2 dropped (a dropped value reappears as a default, which would otherwise
/// be reported twice), and give each a line.</para>
/// <para>An empty file is an error, not an empty config: an editor or deploy tool that truncates the file before
/// writing it must not make a watching gateway drop every route.</para>
/// </remarks>
public static class ConfigLoader
{
    // Editors save by truncating or by replacing the file (write temp, rename); a watcher can fire in between, when
    // the file is briefly locked or missing. A few short retries ride over that without delaying a real failure much.
    private const int ReadAttempts = 5;
    private static readonly TimeSpan _retryDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Reads, parses and validates the file at <paramref name="path"/>; the format follows the extension
    /// (<c>.yaml</c>/<c>.yml</c> or <c>.json</c>). Errors name the file as <paramref name="path"/> was given.
    /// </summary>
    /// <exception cref="ConfigException">The extension is unknown, the file cannot be read, or the config is invalid.</exception>
    public static GatewayConfig LoadFile(string path) => LoadFile(path, ReadAttempts, _retryDelay, afterFailedAttempt: null);

    /// <summary>Parses and validates config text.</summary>
    /// <param name="text">The file's content.</param>
    /// <param name="sourceName">Names the origin in every error, e.g. the file name.</param>
    /// <param name="format">How <paramref name="text"/> is written.</param>
    /// <param name="plugins">The plugin filters the config may name; null for the built-ins (see <see cref="ConfigValidator.Validate"/>).</param>
    /// <exception cref="ConfigException">The text is not a valid config; <see cref="ConfigException.Errors"/> lists every problem.</exception>
    public static GatewayConfig Parse(string text, string sourceName, ConfigFormat format, Gatehouse.Plugins.PluginCatalog? plugins = null)
    {
        var errors = new List<ConfigError>();
        return Check(Read(text, sourceName, format, errors), sourceName, errors, plugins);
    }

    /// <summary>
    /// Parses and validates the text of one policy (the <c>global</c> entry of a config, on its own), e.g. the body of
    /// an admin API write. Errors are those the same policy would get inside a whole file: keyed <c>global.…</c>,
    /// with the line and column of the policy text.
    /// </summary>
    /// <exception cref="ConfigException">The text is not a valid policy; <see cref="ConfigException.Errors"/> lists every problem.</exception>
    public static PolicyConfig ParsePolicy(string text, string sourceName, ConfigFormat format)
    {
        var errors = new List<ConfigError>();
        return Check(Read(text, sourceName, format, errors)?.WrapUnder("global"), sourceName, errors).Global
            ?? throw new ConfigException([new ConfigError(sourceName, "global", "the policy is empty")]);
    }

    private static ConfigDocument? Read(string text, string sourceName, ConfigFormat format, List<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        return format switch
        {
            ConfigFormat.Yaml => YamlSourceReader.Read(text, sourceName, errors),
            ConfigFormat.Json => JsonSourceReader.Read(text, sourceName, errors),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown config format."),
        };
    }

    private static GatewayConfig Check(ConfigDocument? document, string sourceName, List<ConfigError> errors,
        Gatehouse.Plugins.PluginCatalog? plugins = null)
    {
        var config = document is null ? null : ConfigSerializer.Read(document, sourceName, errors);
        if (config is null)
        {
            throw new ConfigException(errors);
        }

        foreach (var error in ConfigValidator.Validate(config, sourceName, plugins))
        {
            if (!document!.DroppedEntries.Any(entry => ConfigEntries.IsAtOrUnder(error.Entry, entry)))
            {
                errors.Add(error with { Message = ConfigDocument.WithPosition(error.Message, document.PositionOfEntry(error.Entry)) });
            }
        }

        return errors.Count == 0 ? config : throw new ConfigException(errors);
    }

    /// <summary>The format a file name's extension implies: <c>.yaml</c>/<c>.yml</c> → YAML, <c>.json</c> → JSON (any case).</summary>
    public static bool TryGetFormat(string path, out ConfigFormat format)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        if (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
        {
            format = ConfigFormat.Yaml;
            return true;
        }

        format = ConfigFormat.Json;
        return extension.Equals(".json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><see cref="LoadFile(string)"/> with the retry policy exposed, so tests can drive it without timing.</summary>
    internal static GatewayConfig LoadFile(string path, int attempts, TimeSpan retryDelay, Action<int>? afterFailedAttempt)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!TryGetFormat(path, out var format))
        {
            var extension = Path.GetExtension(path);
            throw new ConfigException([new ConfigError(path, ConfigEntries.Document,
                $"unsupported file type '{(extension.Length == 0 ? "(no extension)" : extension)}'; use .yaml, .yml or .json")]);
        }

        return Parse(ReadText(path, attempts, retryDelay, afterFailedAttempt), path, format);
    }

    private static string ReadText(string path, int attempts, TimeSpan retryDelay, Action<int>? afterFailedAttempt)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // FileShare.ReadWrite | Delete: never stand in the way of the editor or tool that is writing the file.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
                return reader.ReadToEnd();
            }
            catch (IOException) when (attempt < attempts)
            {
                afterFailedAttempt?.Invoke(attempt);
                Thread.Sleep(retryDelay * attempt);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException([new ConfigError(path, ConfigEntries.Document, $"cannot read the file: {ex.Message}")]);
            }
        }
    }
}
