namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// A <c>google.api.http</c> path template (<c>google/api/http.proto</c>, "Path template syntax"):
/// <c>/v1/{name=shelves/*}/books/{book_id}:publish</c> — literals, <c>*</c> (one segment), <c>**</c> (the rest; last
/// only), variables <c>{field.path}</c> (one segment) or <c>{field.path=segments}</c>, and an optional <c>:verb</c>.
/// </summary>
internal sealed class HttpPathTemplate
{
    private readonly Segment[] _segments;

    private HttpPathTemplate(string text, Segment[] segments, Variable[] variables, string? verb)
    {
        Text = text;
        _segments = segments;
        Variables = variables;
        Verb = verb;
    }

    public string Text { get; }

    public Variable[] Variables { get; }

    public string? Verb { get; }

    /// <summary>A variable: the field path it binds and the segments it covers (<c>End</c> -1: to the end of the path).</summary>
    public sealed record Variable(string FieldPath, int Start, int End);

    private readonly record struct Segment(SegmentKind Kind, string? Literal);

    private enum SegmentKind
    {
        Literal,
        Single,
        Rest,
    }

    /// <summary>Sort key: literal segments before single wildcards before <c>**</c>, position by position.</summary>
    public int CompareSpecificity(HttpPathTemplate other)
    {
        for (var i = 0; i < Math.Min(_segments.Length, other._segments.Length); i++)
        {
            var c = _segments[i].Kind.CompareTo(other._segments[i].Kind);
            if (c != 0)
            {
                return c;
            }
        }

        var length = other._segments.Length.CompareTo(_segments.Length);
        return length != 0 ? length : (other.Verb is null).CompareTo(Verb is null);
    }

    /// <summary>Parses a template; a <see cref="FormatException"/> says what is wrong.</summary>
    public static HttpPathTemplate Parse(string text)
    {
        if (string.IsNullOrEmpty(text) || text[0] != '/')
        {
            throw new FormatException($"path template '{text}' must start with '/'");
        }

        var segments = new List<Segment>();
        var variables = new List<Variable>();
        string? verb = null;
        var body = text;
        var colon = text.LastIndexOf(':');
        if (colon > text.LastIndexOf('/') && colon > text.LastIndexOf('}'))
        {
            verb = text[(colon + 1)..];
            body = text[..colon];
        }

        var i = 1;
        while (i < body.Length)
        {
            if (body[i] == '{')
            {
                var close = body.IndexOf('}', i);
                if (close < 0)
                {
                    throw new FormatException($"path template '{text}': '{{' without '}}'");
                }

                var inner = body[(i + 1)..close];
                var eq = inner.IndexOf('=');
                var field = eq < 0 ? inner : inner[..eq];
                if (field.Length == 0 || field.Split('.').Any(p => p.Length == 0))
                {
                    throw new FormatException($"path template '{text}': variable '{{{inner}}}' has no field path");
                }

                var start = segments.Count;
                foreach (var part in (eq < 0 ? "*" : inner[(eq + 1)..]).Split('/'))
                {
                    segments.Add(ParseSegment(part, text));
                }

                variables.Add(new Variable(field, start, segments[^1].Kind == SegmentKind.Rest ? -1 : segments.Count));
                i = close + 1;
            }
            else
            {
                var end = body.IndexOf('/', i);
                end = end < 0 ? body.Length : end;
                segments.Add(ParseSegment(body[i..end], text));
                i = end;
            }

            if (i >= body.Length)
            {
                break;
            }

            if (body[i] != '/')
            {
                throw new FormatException($"path template '{text}': expected '/' at position {i}");
            }

            i++;
            if (i == body.Length)
            {
                throw new FormatException($"path template '{text}' ends with '/'");
            }
        }

        for (var s = 0; s < segments.Count - 1; s++)
        {
            if (segments[s].Kind == SegmentKind.Rest)
            {
                throw new FormatException($"path template '{text}': '**' must be the last segment");
            }
        }

        return new HttpPathTemplate(text, [.. segments], [.. variables], string.IsNullOrEmpty(verb) ? null : verb);
    }

    private static Segment ParseSegment(string part, string text)
    {
        return part switch
        {
            "*" => new Segment(SegmentKind.Single, null),
            "**" => new Segment(SegmentKind.Rest, null),
            "" => throw new FormatException($"path template '{text}' has an empty segment"),
            _ when part.Contains('*') || part.Contains('{') || part.Contains('}') || part.Contains('=')
                => throw new FormatException($"path template '{text}': segment '{part}' is not a literal, '*', '**' or a variable"),
            _ => new Segment(SegmentKind.Literal, part),
        };
    }

    /// <summary>Matches a request path; on success, the value of each variable (in <see cref="Variables"/> order).</summary>
    public bool TryMatch(string path, out string[] values)
    {
        values = [];
        var text = path.AsSpan();
        if (text.IsEmpty || text[0] != '/')
        {
            return false;
        }

        text = text[1..];
        if (Verb is { } verb)
        {
            if (!text.EndsWith(verb, StringComparison.Ordinal) || text.Length <= verb.Length || text[^(verb.Length + 1)] != ':')
            {
                return false;
            }

            text = text[..^(verb.Length + 1)];
        }

        if (text.EndsWith('/'))
        {
            text = text[..^1];
        }

        var parts = text.IsEmpty ? [] : text.ToString().Split('/');
        var hasRest = _segments.Length > 0 && _segments[^1].Kind == SegmentKind.Rest;
        if (hasRest ? parts.Length < _segments.Length - 1 : parts.Length != _segments.Length)
        {
            return false;
        }

        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            if (segment.Kind == SegmentKind.Literal && !string.Equals(parts[i], segment.Literal, StringComparison.Ordinal))
            {
                return false;
            }

            if (segment.Kind == SegmentKind.Single && parts[i].Length == 0)
            {
                return false;
            }
        }

        values = new string[Variables.Length];
        for (var v = 0; v < Variables.Length; v++)
        {
            var variable = Variables[v];
            var end = variable.End < 0 ? parts.Length : variable.End;
            values[v] = end - variable.Start == 1
                ? Uri.UnescapeDataString(parts[variable.Start])
                : string.Join('/', parts, variable.Start, end - variable.Start);
        }

        return true;
    }
}
