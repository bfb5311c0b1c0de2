using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gatehouse.Core.Config;

/// <summary>
/// The content checksum of a config snapshot: SHA-256, lower-case hex, of its canonical JSON. Equal content gives an
/// equal checksum whatever file format or key order it was written in, so gateways and admin can compare snapshots.
/// </summary>
/// <remarks>
/// Canonical JSON is the <see cref="ConfigSerializer"/> form (camelCase keys, enums as camelCase strings, null members
/// left out, defaults written out, non-ASCII escaped as <c>\uXXXX</c>) with the keys of every object sorted by ordinal
/// (UTF-16 code unit) order and no whitespace. Nothing is excluded: <see cref="GatewayConfig.Version"/> counts, and so
/// does the order of list items (services, nodes, APIs, mappings and the members of a service set all keep order).
/// </remarks>
public static class ConfigChecksum
{
    /// <summary>SHA-256 of <see cref="ToCanonicalJson"/>'s UTF-8 bytes, as 64 lower-case hex digits.</summary>
    /// <exception cref="JsonException">An enum member holds an undefined value (<see cref="ConfigValidator"/> reports those).</exception>
    public static string Compute(GatewayConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalUtf8(config)));
    }

    /// <summary>The exact text <see cref="Compute"/> hashes; useful to see why two checksums differ.</summary>
    public static string ToCanonicalJson(GatewayConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Encoding.UTF8.GetString(CanonicalUtf8(config));
    }

    private static byte[] CanonicalUtf8(GatewayConfig config)
    {
        var tree = JsonSerializer.SerializeToNode(config, ConfigSerializer.Options);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = ConfigSerializer.Options.Encoder }))
        {
            WriteSorted(writer, tree);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteSorted(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteSorted(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteSorted(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer, ConfigSerializer.Options);
                break;
        }
    }
}
