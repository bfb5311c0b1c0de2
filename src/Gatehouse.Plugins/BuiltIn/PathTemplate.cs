using System.Text;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// A path rewrite by template: <c>from</c> is matched segment by segment (literal segments compare ordinally,
/// <c>{name}</c> takes one segment, a last <c>{*name}</c> takes the rest, possibly empty); <c>to</c> is written with each
/// <c>{name}</c> replaced by what it took. Values are copied as they appear in the path (still percent-encoded).
/// </summary>
internal sealed class PathTemplate
{
    private readonly string[] _from;
    private readonly bool _catchAll;
    private readonly (string Text, bool Variable)[] _to;

    private PathTemplate(string[] from, bool catchAll, (string, bool)[] to)
    {
        _from = from;
        _catchAll = catchAll;
        _to = to;
    }

    public static PathTemplate? Parse(string from, string to, SettingsReader reader)
    {
        var errors = reader.Errors.Count;
        if (!from.StartsWith('/'))
        {
            reader.Add("from", "must start with '/'");
        }

        if (!to.StartsWith('/'))
        {
            reader.Add("to", "must start with '/'");
        }

        if (to.AsSpan().IndexOfAny('?', '#') >= 0)
        {
            reader.Add("to", "is a path: add query parameters with query.add");
        }

        var segments = from.Split('/')[1..];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var catchAll = false;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.StartsWith('{') && segment.EndsWith('}'))
            {
                var name = segment[1..^1];
                if (name.StartsWith('*'))
                {
                    name = name[1..];
                    if (i != segments.Length - 1)
                    {
                        reader.Add("from", $"'{segment}' must be the last segment");
                    }

                    catchAll = true;
                }

                if (name.Length == 0 || !name.All(char.IsAsciiLetterOrDigit) || !names.Add(name))
                {
                    reader.Add("from", $"'{segment}': a variable needs a unique name of letters and digits");
                }
            }
            else if (segment.Contains('{') || segment.Contains('}'))
            {
                reader.Add("from", $"'{segment}': a variable must be a whole segment");
            }
        }

        var parts = new List<(string, bool)>();
        var at = 0;
        while (at < to.Length)
        {
            var open = to.IndexOf('{', at);
            if (open < 0)
            {
                parts.Add((to[at..], false));
                break;
            }

            var close = to.IndexOf('}', open);
            if (close < 0)
            {
                reader.Add("to", "'{' without '}'");
                break;
            }

            if (open > at)
            {
                parts.Add((to[at..open], false));
            }

            var name = to[(open + 1)..close];
            if (!names.Contains(name))
            {
                reader.Add("to", $"'{{{name}}}' is not a variable of from");
            }

            parts.Add((name, true));
            at = close + 1;
        }

        return reader.Errors.Count > errors ? null : new PathTemplate(segments, catchAll, [.. parts]);
    }

    /// <summary>The rewritten path, or null when <paramref name="path"/> does not match <c>from</c>.</summary>
    public string? Rewrite(string path)
    {
        var segments = path.Split('/')[1..];
        var fixedCount = _catchAll ? _from.Length - 1 : _from.Length;
        if (segments.Length < fixedCount || (!_catchAll && segments.Length != fixedCount))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < fixedCount; i++)
        {
            var pattern = _from[i];
            if (pattern.StartsWith('{'))
            {
                if (segments[i].Length == 0)
                {
                    return null;
                }

                values[pattern[1..^1]] = segments[i];
            }
            else if (!string.Equals(pattern, segments[i], StringComparison.Ordinal))
            {
                return null;
            }
        }

        var restEmpty = false;
        if (_catchAll)
        {
            var rest = string.Join('/', segments[fixedCount..]);
            values[_from[^1][2..^1]] = rest;
            restEmpty = rest.Length == 0;
        }

        var result = new StringBuilder();
        foreach (var (text, variable) in _to)
        {
            result.Append(variable ? values[text] : text);
        }

        // A catch-all that took nothing leaves "//" or a trailing "/" where the template had one around it.
        result.Replace("//", "/");
        if (restEmpty && result.Length > 1 && result[^1] == '/')
        {
            result.Length--;
        }

        return result.ToString();
    }
}
