using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gatehouse.Core.Config;

/// <summary>
/// Reads JSON config text into a <see cref="ConfigDocument"/>, keeping the line of every value. A hand-rolled walk
/// over <see cref="Utf8JsonReader"/> because <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/>
/// keeps no positions and silently lets a duplicate key overwrite the first.
/// </summary>
internal static partial class JsonSourceReader
{
    public static ConfigDocument? Read(string text, string? source, List<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.TrimStart('\uFEFF');
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document, "the file is empty"));
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var state = new State(bytes);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });

        JsonNode? root;
        var started = false;
        try
        {
            started = reader.Read();
            root = ReadValue(ref reader, "", state);

            // Read past the root so trailing content after it is a syntax error rather than ignored.
            reader.Read();
        }
        catch (JsonException) when (!started && HoldsOnlyComments(bytes))
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document, "the file is empty (it holds only comments)"));
            return null;
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            errors.Add(new ConfigError(source, ConfigEntries.Document,
                $"JSON syntax error at line {line}, column {column}: {ReaderPositionSuffix().Replace(ex.Message, "")}"));
            return null;
        }

        if (root is not JsonObject obj)
        {
            errors.Add(new ConfigError(source, ConfigEntries.Document, "the config must be a JSON object ({ ... }) at the top level"));
            return null;
        }

        return new ConfigDocument(obj, state.Positions, state.Problems);
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, string pointer, State state)
    {
        state.Positions.TryAdd(pointer, state.PositionAt(reader.TokenStartIndex));
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    var keyPosition = state.PositionAt(reader.TokenStartIndex);
                    var childPointer = ConfigDocument.ChildPointer(pointer, key);
                    reader.Read();
                    if (obj.ContainsKey(key))
                    {
                        var first = state.Positions.GetValueOrDefault(childPointer);
                        state.Problems.Add((childPointer, ConfigDocument.WithPosition(
                            $"duplicate key '{key}' (first given at line {first.Line}); the second is ignored", keyPosition)));
                        reader.Skip();
                        continue;
                    }

                    state.Positions[childPointer] = keyPosition;
                    obj[key] = ReadValue(ref reader, childPointer, state);
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader, ConfigDocument.ItemPointer(pointer, array.Count), state));
                }

                return array;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                // Keep the number's own text: "5" and "5.0" must stay distinguishable for integer members.
                return JsonValue.Create(JsonElement.ParseValue(ref reader));
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    /// <summary>True when the text has comments but no value: the reader reports that as a syntax error.</summary>
    private static bool HoldsOnlyComments(byte[] bytes)
    {
        var probe = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Allow });
        try
        {
            while (probe.Read())
            {
                if (probe.TokenType != JsonTokenType.Comment)
                {
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            // It stops at the end of the data, or at the first thing that is not a comment.
            return bytes.AsSpan((int)probe.BytesConsumed).Trim(" \t\r\n"u8).IsEmpty;
        }
    }

    [GeneratedRegex(@"\s*(Path: \S* \| )?LineNumber: \d+ \| BytePositionInLine: \d+\.?\s*$")]
    private static partial Regex ReaderPositionSuffix();

    private sealed class State
    {
        private readonly byte[] _bytes;
        private readonly List<int> _lineStarts = [0];

        public State(byte[] bytes)
        {
            _bytes = bytes;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == (byte)'\n')
                {
                    _lineStarts.Add(i + 1);
                }
            }
        }

        public Dictionary<string, SourcePosition> Positions { get; } = new(StringComparer.Ordinal);

        public List<(string Pointer, string Message)> Problems { get; } = [];

        public SourcePosition PositionAt(long offset)
        {
            var index = _lineStarts.BinarySearch((int)offset);
            var line = index >= 0 ? index : ~index - 1;
            var lineStart = _lineStarts[line];

            // Columns count characters, not UTF-8 bytes, so they match what an editor shows.
            var column = Encoding.UTF8.GetCharCount(_bytes, lineStart, (int)offset - lineStart) + 1;
            return new SourcePosition(line + 1, column);
        }
    }
}
