using System.Text.Json.Nodes;

namespace Gatehouse.Core.Config;

/// <summary>A line and column in a config file, both 1-based.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}

/// <summary>
/// A config file read into JSON form, before it is checked against the model, with where each value came from so
/// errors can name a line. Values are located by JSON Pointer (RFC 6901), e.g. <c>/services/0/nodes/1/weight</c>;
/// a property is located at its key, a list item at its first character.
/// </summary>
internal sealed class ConfigDocument
{
    private readonly Dictionary<string, SourcePosition> _positions;
    private readonly Dictionary<string, string> _entryPointers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pointerEntries = new(StringComparer.Ordinal);

    public ConfigDocument(JsonObject root, Dictionary<string, SourcePosition> positions, IReadOnlyList<(string Pointer, string Message)> problems)
    {
        Root = root;
        _positions = positions;
        Problems = problems;
    }

    public JsonObject Root { get; }

    /// <summary>
    /// Problems the reader found but could carry on from (duplicate keys, unsupported YAML tags), by the pointer of
    /// the value concerned; they are reported once the shape check has named every entry.
    /// </summary>
    public IReadOnlyList<(string Pointer, string Message)> Problems { get; }

    /// <summary>
    /// Entries whose value the shape check removed or replaced because it did not fit the model. The model then
    /// holds a default there, so validation errors at or under these entries would only repeat the problem.
    /// </summary>
    public List<string> DroppedEntries { get; } = [];

    public static string ChildPointer(string pointer, string key) =>
        $"{pointer}/{key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}";

    public static string ItemPointer(string pointer, int index) => $"{pointer}/{index}";

    /// <summary>Position of the value at <paramref name="pointer"/>, or of its nearest ancestor that has one.</summary>
    public SourcePosition? PositionOf(string pointer)
    {
        while (true)
        {
            if (_positions.TryGetValue(pointer, out var position))
            {
                return position;
            }

            var slash = pointer.LastIndexOf('/');
            if (slash < 0)
            {
                return null;
            }

            pointer = pointer[..slash];
        }
    }

    /// <summary>
    /// The same document moved under one top-level <paramref name="property"/> (e.g. a policy file read as
    /// <c>global</c>), keeping every value's line and column, so a single entry can be checked as the whole config is.
    /// </summary>
    public ConfigDocument WrapUnder(string property)
    {
        var prefix = ChildPointer("", property);
        var positions = _positions.ToDictionary(p => prefix + p.Key, p => p.Value, StringComparer.Ordinal);
        var problems = Problems.Select(p => (prefix + p.Pointer, p.Message)).ToList();
        return new ConfigDocument(new JsonObject { [property] = Root }, positions, problems);
    }

    /// <summary>Remembers which value an entry name stands for, so a validation error can be given a line too.</summary>
    public void MapEntry(string entry, string pointer)
    {
        _entryPointers.TryAdd(entry, pointer);
        _pointerEntries.TryAdd(pointer, entry);
    }

    /// <summary>Entry name of the value at <paramref name="pointer"/>, or of its nearest named ancestor.</summary>
    public string EntryOf(string pointer)
    {
        while (true)
        {
            if (_pointerEntries.TryGetValue(pointer, out var entry))
            {
                return entry.Length == 0 ? ConfigEntries.Document : entry;
            }

            var slash = pointer.LastIndexOf('/');
            if (slash < 0)
            {
                return ConfigEntries.Document;
            }

            pointer = pointer[..slash];
        }
    }

    /// <summary>Position of the value an entry names, or of its nearest named ancestor.</summary>
    public SourcePosition? PositionOfEntry(string entry)
    {
        for (string? e = entry; e is not null; e = ConfigEntries.Parent(e))
        {
            if (_entryPointers.TryGetValue(e, out var pointer))
            {
                return PositionOf(pointer);
            }
        }

        return null;
    }

    /// <summary>Appends <c>(line L, column C)</c> of <paramref name="pointer"/> to a message.</summary>
    public string At(string pointer, string message) => WithPosition(message, PositionOf(pointer));

    public static string WithPosition(string message, SourcePosition? position) =>
        position is { } p ? $"{message} ({p})" : message;
}
