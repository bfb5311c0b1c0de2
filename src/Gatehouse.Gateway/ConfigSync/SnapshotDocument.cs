using System.Buffers;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// The snapshot document of the sync protocol (docs/sync-protocol.md): what the admin serves and what the node keeps
/// in its local snapshot file. <c>{ "group", "version", "checksum", "config" }</c>.
/// </summary>
internal sealed record SnapshotDocument(string Group, long Version, string Checksum, GatewayConfig Config)
{
    /// <summary>
    /// Reads and verifies a document: the config must be a well-formed <see cref="GatewayConfig"/>, its checksum must
    /// equal the recomputed one, <c>config.version</c> must equal <c>version</c> and the group must be
    /// <paramref name="expectedGroup"/>. Semantic validation is left to <see cref="ConfigApplier"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The document is malformed or fails a check; the message says which.</exception>
    public static SnapshotDocument Parse(string json, string expectedGroup, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{source}: the snapshot document is not a JSON object");
            }

            var group = RequiredString(root, "group", source);
            var checksum = RequiredString(root, "checksum", source);
            if (!root.TryGetProperty("version", out var versionElement) || versionElement.ValueKind != JsonValueKind.Number
                || !versionElement.TryGetInt64(out var version))
            {
                throw new InvalidDataException($"{source}: 'version' is missing or not an integer");
            }

            if (!root.TryGetProperty("config", out var configElement) || configElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{source}: 'config' is missing or not an object");
            }

            GatewayConfig config;
            try
            {
                config = ConfigSerializer.Deserialize(configElement.GetRawText(), source);
            }
            catch (ConfigException ex)
            {
                throw new InvalidDataException($"{source}: 'config' is not a valid config: {ex.Message}");
            }

            if (!string.Equals(group, expectedGroup, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{source}: snapshot is for group '{group}', this node is in group '{expectedGroup}'");
            }

            if (config.Version != version)
            {
                throw new InvalidDataException($"{source}: config.version {config.Version} differs from version {version}");
            }

            // The checksum is recomputed from what was parsed, so a truncated, altered or mis-serialised config
            // cannot be applied under another snapshot's identity.
            var actual = ConfigChecksum.Compute(config);
            if (!string.Equals(actual, checksum, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{source}: checksum mismatch: document says {checksum}, content is {actual}");
            }

            return new SnapshotDocument(group, version, actual, config);
        }
    }

    /// <summary>The document as JSON (compact), as stored in the local snapshot file.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("group", Group);
            writer.WriteNumber("version", Version);
            writer.WriteString("checksum", Checksum);
            writer.WritePropertyName("config");
            writer.WriteRawValue(ConfigSerializer.Serialize(Config));
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string RequiredString(JsonElement root, string name, string source) =>
        root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String && element.GetString() is { Length: > 0 } value
            ? value
            : throw new InvalidDataException($"{source}: '{name}' is missing or not a non-empty string");
}
