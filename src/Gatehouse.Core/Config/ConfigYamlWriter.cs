using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gatehouse.Core.Config;

/// <summary>
/// Writes a <see cref="GatewayConfig"/> as YAML that <see cref="ConfigLoader"/> reads back to the same config (and so the
/// same checksum): the YAML form of an export.
/// </summary>
/// <remarks>
/// The config is first written as <see cref="ConfigSerializer"/> JSON, so the YAML holds exactly the keys and values the
/// JSON form holds, then each JSON value becomes one YAML node. A string is written plain only when the loader would read
/// the plain text back as that same string (see <see cref="YamlSourceReader"/>): <c>"true"</c>, <c>"10"</c>,
/// <c>"null"</c>, <c>""</c> and the like are double-quoted, so a string never turns into a boolean, number or null on the
/// way back. Numbers keep their JSON text, which the loader's invariant-culture parsing reads back exactly. Lines are never
/// folded, so a long value stays on one line.
/// </remarks>
public static class ConfigYamlWriter
{
    // No folding: a plain scalar folded across lines reads back the same, but a diff of two exports is easier to read unfolded.
    private const int NoLineWidthLimit = int.MaxValue;

    /// <summary>The YAML text of <paramref name="config"/>, optionally after a comment block (each line gets <c># </c>).</summary>
    public static string Write(GatewayConfig config, string? headerComment = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var root = JsonSerializer.SerializeToNode(config, ConfigSerializer.Options)!;
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        if (headerComment is not null)
        {
            foreach (var line in headerComment.Split('\n'))
            {
                text.Write(line.Length == 0 ? "#\n" : $"# {line.TrimEnd('\r')}\n");
            }
        }

        var emitter = new Emitter(text, 2, NoLineWidthLimit, false);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        WriteNode(emitter, root);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void WriteNode(Emitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(Plain("null"));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    // The loader takes a key's text whatever its style, so a key only needs quoting where YAML syntax does.
                    emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, key, ScalarStyle.Any, true, true));
                    WriteNode(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    WriteNode(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            default:
                WriteValue(emitter, node.AsValue());
                break;
        }
    }

    private static void WriteValue(Emitter emitter, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                emitter.Emit(ReadsBackAsItself(text)
                    ? new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Any, true, true)
                    : new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.DoubleQuoted, false, true));
                break;
            case JsonValueKind.True:
                emitter.Emit(Plain("true"));
                break;
            case JsonValueKind.False:
                emitter.Emit(Plain("false"));
                break;
            case JsonValueKind.Null:
                emitter.Emit(Plain("null"));
                break;
            default:
                // A number: its JSON text (e.g. 0.25, 1E+21) parses back to the same value in the invariant culture.
                emitter.Emit(Plain(value.ToJsonString()));
                break;
        }
    }

    /// <summary>Whether the loader reads <paramref name="text"/>, written as a plain scalar, back as the same string.</summary>
    private static bool ReadsBackAsItself(string text) =>
        YamlSourceReader.ConvertPlainScalar(text) is JsonValue read
        && read.GetValueKind() == JsonValueKind.String
        && read.GetValue<string>() == text;

    private static Scalar Plain(string text) => new(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false);
}
