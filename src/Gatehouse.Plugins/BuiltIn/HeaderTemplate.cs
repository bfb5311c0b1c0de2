using System.Text;

namespace Gatehouse.Plugins.BuiltIn;

/// <summary>
/// A header value with request variables, parsed once: <c>${header.X-Foo}</c>, <c>${query.name}</c>,
/// <c>${clientIp}</c>, <c>${method}</c>, <c>${path}</c>, <c>${host}</c>, <c>${service}</c>, <c>${api}</c>. A variable
/// with no value (a missing header) expands to nothing; <c>$${</c> writes a literal <c>${</c>.
/// </summary>
internal sealed class HeaderTemplate
{
    private static readonly string[] Simple = ["clientIp", "method", "path", "host", "service", "api"];

    private readonly Segment[] _segments;

    private HeaderTemplate(Segment[] segments, string? constant)
    {
        _segments = segments;
        Constant = constant;
    }

    /// <summary>The value when it has no variables (no per-request work at all); null otherwise.</summary>
    public string? Constant { get; }

    public static HeaderTemplate? Parse(string text, string field, SettingsReader reader)
    {
        var segments = new List<Segment>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text.AsSpan(i).StartsWith("$${"))
            {
                literal.Append("${");
                i += 3;
                continue;
            }

            if (!text.AsSpan(i).StartsWith("${"))
            {
                literal.Append(text[i++]);
                continue;
            }

            var end = text.IndexOf('}', i + 2);
            if (end < 0)
            {
                reader.Add(field, $"'${{' at position {i} has no closing '}}'");
                return null;
            }

            var name = text[(i + 2)..end];
            if (!TryVariable(name, out var segment))
            {
                reader.Add(field, $"unknown variable '${{{name}}}'; expected header.<name>, query.<name>, {string.Join(", ", Simple)}");
                return null;
            }

            if (literal.Length > 0)
            {
                segments.Add(new Segment(SegmentKind.Literal, literal.ToString()));
                literal.Clear();
            }

            segments.Add(segment);
            i = end + 1;
        }

        if (literal.Length > 0)
        {
            segments.Add(new Segment(SegmentKind.Literal, literal.ToString()));
        }

        var constant = segments.Count == 0 ? "" : segments is [{ Kind: SegmentKind.Literal } only] ? only.Text : null;
        return new HeaderTemplate([.. segments], constant);
    }

    /// <summary>Expands the template for one request (values are read from the request, before any changes of this filter).</summary>
    public string Expand(PluginContext context)
    {
        if (Constant is not null)
        {
            return Constant;
        }

        if (_segments.Length == 1)
        {
            return Value(_segments[0], context);
        }

        var builder = new StringBuilder();
        foreach (var segment in _segments)
        {
            builder.Append(Value(segment, context));
        }

        return builder.ToString();
    }

    /// <summary>
    /// Expands the template into a URL path and query: every request value is percent-encoded as one URI component
    /// (a query value cannot add a path segment or a parameter), literal text is kept as written.
    /// </summary>
    public string ExpandUri(PluginContext context)
    {
        if (Constant is not null)
        {
            return Constant;
        }

        var builder = new StringBuilder();
        foreach (var segment in _segments)
        {
            builder.Append(segment.Kind == SegmentKind.Literal ? segment.Text : Uri.EscapeDataString(Value(segment, context)));
        }

        return builder.ToString();
    }

    private static string Value(Segment segment, PluginContext context)
    {
        var request = context.Http.Request;
        var value = segment.Kind switch
        {
            SegmentKind.Literal => segment.Text,
            SegmentKind.Header => request.Headers[segment.Text].ToString(),
            SegmentKind.Query => request.Query[segment.Text].ToString(),
            SegmentKind.ClientIp => context.ClientIp,
            SegmentKind.Method => request.Method,
            SegmentKind.Path => request.Path.Value ?? "/",
            SegmentKind.Host => request.Host.Value ?? "",
            SegmentKind.Service => context.Service,
            _ => context.Api,
        };

        // A request value must not smuggle a line break into another header (response splitting).
        return SettingsReader.IsSafeValue(value) ? value : "";
    }

    private static bool TryVariable(string name, out Segment segment)
    {
        segment = default;
        if (name.StartsWith("header.", StringComparison.Ordinal) && SettingsReader.IsToken(name[7..]))
        {
            segment = new Segment(SegmentKind.Header, name[7..]);
            return true;
        }

        if (name.StartsWith("query.", StringComparison.Ordinal) && name.Length > 6)
        {
            segment = new Segment(SegmentKind.Query, name[6..]);
            return true;
        }

        var kind = Array.IndexOf(Simple, name);
        if (kind < 0)
        {
            return false;
        }

        segment = new Segment(SegmentKind.ClientIp + kind, "");
        return true;
    }

    private enum SegmentKind
    {
        Literal,
        Header,
        Query,

        // In the order of Simple.
        ClientIp,
        Method,
        Path,
        Host,
        Service,
        Api,
    }

    private readonly record struct Segment(SegmentKind Kind, string Text);
}
