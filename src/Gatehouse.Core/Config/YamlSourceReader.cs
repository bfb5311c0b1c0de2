using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gatehouse.Core.Config;

/// <summary>
/// Reads YAML config text into a <see cref="ConfigDocument"/> (a JSON tree), so YAML and JSON files then go through
/// the same serializer, checks and checksum.
/// </summary>
/// <remarks>
/// Scalars are typed the way the model needs, close to the YAML 1.2 core schema: a plain (unquoted) scalar is null
/// (<c>~</c>, <c>null</c> in any case, or nothing), a boolean (<c>true</c>/<c>false</c> in any case), an integer or a
/// finite float when it parses as one in the invariant culture, else a string. Quoted and block scalars, and scalars
/// tagged <c>!!str</c> or <c>!</c>, are always strings. Anchors and aliases are resolved by copying; merge keys
/// (<c>&lt;&lt;</c>) are not supported and show up as an unknown key.
/// </remarks>
internal static class YamlSourceReader
{
    // An alias that refers to its own ancestor makes a cycle, and nested aliases can expand exponentially
    // ("billion laughs"); both limits are far above any real config.
    private const int MaxDepth = 64;
    private const int MaxNodes = 1_000_000;

    private const string StrTag = "tag:yaml.org,2002:str";

    public static ConfigDocument? Read(string text, string? source, List<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(new StringReader(text.TrimStart('\uFEFF')));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document,
                $"YAML syntax error at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}"));
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet 16.3 throws InvalidOperationException for some truncated input, e.g. an unclosed '[' at the
            // end of the file; the parser's last event is the best position there is.
            var at = parser.Current?.End ?? Mark.Empty;
            errors.Add(new ConfigError(source, ConfigEntries.Document,
                $"YAML syntax error near line {at.Line}, column {at.Column}: the text is malformed or ends inside an unclosed construct"));
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            errors.Add(new ConfigError(source, ConfigEntries.Document,
                $"the file holds {stream.Documents.Count} YAML documents (the second starts at line {second.Line}); a config file holds exactly one"));
            return null;
        }

        var rootNode = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        if (rootNode is null or YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" })
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document, "the file is empty (or holds only comments)"));
            return null;
        }

        if (rootNode is not YamlMappingNode)
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document,
                $"the config must be a mapping (key: value lines) at the top level (line {rootNode.Start.Line})"));
            return null;
        }

        var converter = new Converter();
        try
        {
            var root = (JsonObject)converter.Convert(rootNode, "", depth: 0)!;
            return new ConfigDocument(root, converter.Positions, converter.Problems);
        }
        catch (LimitExceededException ex)
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document, ex.Message));
            return null;
        }
    }

    /// <summary>Types a scalar as described in the remarks of <see cref="YamlSourceReader"/>.</summary>
    internal static JsonNode? ConvertPlainScalar(string value)
    {
        if (value.Length == 0 || value == "~" || value.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (value.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return JsonValue.Create(true);
        }

        if (value.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        // double.TryParse accepts "NaN" and "Infinity", which JSON cannot carry: those stay strings.
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(value);
    }

    private sealed class Converter
    {
        private readonly HashSet<YamlNode> _ancestors = new(ReferenceEqualityComparer.Instance);
        private int _nodes;

        public Dictionary<string, SourcePosition> Positions { get; } = new(StringComparer.Ordinal);

        public List<(string Pointer, string Message)> Problems { get; } = [];

        public JsonNode? Convert(YamlNode node, string pointer, int depth)
        {
            if (++_nodes > MaxNodes)
            {
                throw new LimitExceededException($"the YAML expands to more than {MaxNodes} values (aliases nested too deeply?)");
            }

            Positions.TryAdd(pointer, Position(node.Start));
            if (depth > MaxDepth || !_ancestors.Add(node))
            {
                Problems.Add((pointer, $"nesting deeper than {MaxDepth} levels, or an alias that refers to its own ancestor ({Position(node.Start)})"));
                return null;
            }

            try
            {
                return node switch
                {
                    YamlScalarNode scalar => ConvertScalar(scalar, pointer),
                    YamlMappingNode mapping => ConvertMapping(mapping, pointer, depth),
                    YamlSequenceNode sequence => ConvertSequence(sequence, pointer, depth),
                    _ => null,
                };
            }
            finally
            {
                _ancestors.Remove(node);
            }
        }

        private JsonObject ConvertMapping(YamlMappingNode mapping, string pointer, int depth)
        {
            var obj = new JsonObject();
            foreach (var (keyNode, valueNode) in mapping.Children)
            {
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    Problems.Add((pointer, $"a key must be a plain name, not a list or mapping ({Position(keyNode.Start)})"));
                    continue;
                }

                var childPointer = ConfigDocument.ChildPointer(pointer, key);
                if (obj.ContainsKey(key))
                {
                    // YamlDotNet rejects most duplicates itself; this catches keys it considers different, e.g. by tag.
                    Problems.Add((childPointer, $"duplicate key '{key}'; the second is ignored ({Position(keyNode.Start)})"));
                    continue;
                }

                Positions[childPointer] = Position(keyNode.Start);
                obj[key] = Convert(valueNode, childPointer, depth + 1);
            }

            return obj;
        }

        private JsonArray ConvertSequence(YamlSequenceNode sequence, string pointer, int depth)
        {
            var array = new JsonArray();
            foreach (var item in sequence.Children)
            {
                array.Add(Convert(item, ConfigDocument.ItemPointer(pointer, array.Count), depth + 1));
            }

            return array;
        }

        private JsonNode? ConvertScalar(YamlScalarNode scalar, string pointer)
        {
            var value = scalar.Value ?? "";
            if (!scalar.Tag.IsEmpty)
            {
                if (scalar.Tag.IsNonSpecific || scalar.Tag.Value == StrTag)
                {
                    return JsonValue.Create(value);
                }

                Problems.Add((pointer, $"unsupported YAML tag '{scalar.Tag.Value}'; only !!str is supported ({Position(scalar.Start)})"));
                return null;
            }

            return scalar.Style == ScalarStyle.Plain ? ConvertPlainScalar(value) : JsonValue.Create(value);
        }

        private static SourcePosition Position(Mark mark) => new((int)mark.Line, (int)mark.Column);
    }

    private sealed class LimitExceededException(string message) : Exception(message);
}
