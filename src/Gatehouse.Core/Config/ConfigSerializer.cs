using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Gatehouse.Core.Config;

/// <summary>
/// The one JSON form of <see cref="GatewayConfig"/>: what the admin publishes, what the gateway stores as its local
/// snapshot, what <see cref="ConfigChecksum"/> hashes and what a YAML file is converted into before it is read.
/// </summary>
/// <remarks>
/// <para>Keys are camelCase and matched case-sensitively; enums are camelCase strings (read case-insensitively,
/// numbers rejected); a key the model does not know is an error, so a misspelt key is never silently ignored; null is
/// accepted only where the model is nullable; comments and trailing commas are allowed on read.</para>
/// <para>Null members are not written: every nullable member defaults to null, so the round trip stays lossless.
/// Strings are written with the default encoder, which escapes everything outside ASCII: the output, and so the
/// checksum, does not depend on how another process's JSON library chooses to escape.</para>
/// </remarks>
public static class ConfigSerializer
{
    /// <summary>
    /// The serializer settings of the config model. Read-only; use them when (de)serializing config elsewhere, e.g. in
    /// the admin API, so every process agrees on the form.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Writes <paramref name="config"/> as JSON, compact unless <paramref name="indented"/>.</summary>
    /// <exception cref="JsonException">An enum member holds an undefined value (<see cref="ConfigValidator"/> reports those).</exception>
    public static string Serialize(GatewayConfig config, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        return indented
            ? JsonSerializer.Serialize(config, IndentedOptions)
            : JsonSerializer.Serialize(config, Options);
    }

    /// <summary>
    /// Reads a config from JSON text. Checks the shape only (syntax, types, unknown keys, nulls) and reports every
    /// such problem at once; it does not run <see cref="ConfigValidator"/> (<see cref="ConfigLoader.Parse"/> does both).
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the text came from, for error messages, e.g. a file name or <c>admin</c>.</param>
    /// <exception cref="ConfigException">The text is not a well-formed config; the errors carry line numbers.</exception>
    public static GatewayConfig Deserialize(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        var errors = new List<ConfigError>();
        var document = JsonSourceReader.Read(json, source, errors);
        var config = document is null ? null : Read(document, source, errors);
        if (errors.Count > 0 || config is null)
        {
            throw new ConfigException(errors);
        }

        return config;
    }

    /// <summary>
    /// Checks <paramref name="document"/> against the model, removing what does not fit (so the rest can still be
    /// read and validated), then deserializes it. Returns null only when even the repaired document cannot be read.
    /// </summary>
    internal static GatewayConfig? Read(ConfigDocument document, string? source, List<ConfigError> errors)
    {
        ConfigShapeChecker.Check(document, source, errors);
        try
        {
            return document.Root.Deserialize<GatewayConfig>(Options);
        }
        catch (JsonException ex)
        {
            // NOTE: the shape checker mirrors the serializer's rules, so this is a safety net for a gap between the
            // two; it reports the serializer's own path and message rather than guessing an entry.
            errors.Add(new ConfigError(source, ex.Path ?? ConfigEntries.Document, ex.Message));
            return null;
        }
    }

    private static JsonSerializerOptions IndentedOptions { get; } = CreateIndentedOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };

        // Numbers are not accepted for enums: "kind: 2" would silently depend on declaration order.
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly();
        return options;
    }

    private static JsonSerializerOptions CreateIndentedOptions()
    {
        var options = new JsonSerializerOptions(Options) { WriteIndented = true };
        options.MakeReadOnly();
        return options;
    }
}
