using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gatehouse.Core.Config;

namespace Gatehouse.Console.Backend;

/// <summary>
/// The policy editor's text: a policy written as block YAML, and the line an API error names.
/// </summary>
/// <remarks>
/// Strings are written double-quoted with JSON escapes (valid YAML), so a value such as <c>"true"</c>, <c>"1e3"</c> or
/// <c>"a: b"</c> reads back as the same string; numbers and booleans are plain. The API re-reads the text with the
/// config loader, so the console never decides what the YAML means.
/// </remarks>
public static partial class PolicyYaml
{
    /// <summary>The policy as YAML; an unset policy is a comment saying so (the API refuses an empty policy).</summary>
    public static string Write(PolicyConfig? policy)
    {
        if (policy is null || JsonSerializer.SerializeToNode(policy, AdminApi.Json) is not JsonObject root || root.Count == 0)
        {
            return "# No global policy is set; every API uses the built-in defaults.\n# Example:\n# timeouts:\n#   connectMs: 2000\n";
        }

        var text = new StringBuilder();
        WriteObject(text, root, 0);
        return text.ToString();
    }

    /// <summary>The 1-based line an error message names (<c>line 3, column 5</c> or <c>at line 3</c>), or null.</summary>
    public static int? LineOf(string message) =>
        LineRegex().Match(message) is { Success: true } m && int.TryParse(m.Groups[1].ValueSpan, out var line) ? line : null;

    [GeneratedRegex(@"\bline (\d+)")]
    private static partial Regex LineRegex();

    private static void WriteObject(StringBuilder text, JsonObject obj, int indent)
    {
        foreach (var (key, value) in obj)
        {
            text.Append(' ', indent).Append(key).Append(':');
            WriteValue(text, value, indent);
        }
    }

    private static void WriteValue(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } child:
                text.Append('\n');
                WriteObject(text, child, indent + 2);
                break;
            case JsonArray { Count: > 0 } list:
                text.Append('\n');
                foreach (var item in list)
                {
                    text.Append(' ', indent + 2).Append('-');
                    if (item is JsonObject { Count: > 0 } itemObject)
                    {
                        // The first key goes on the dash's line; the rest line up under it.
                        var inner = new StringBuilder();
                        WriteObject(inner, itemObject, indent + 4);
                        text.Append(' ').Append(inner.ToString().TrimStart());
                    }
                    else
                    {
                        WriteValue(text, item, indent + 2);
                    }
                }

                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Scalar(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.ToJsonString(AdminApi.Json),
        _ => value.ToJsonString(AdminApi.Json),
    };
}
