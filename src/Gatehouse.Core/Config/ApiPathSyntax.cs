using System.Text.RegularExpressions;

namespace Gatehouse.Core.Config;

/// <summary>
/// Syntax of API path patterns, shared by config validation (admin and gateway) and the gateway's matcher.
/// </summary>
/// <remarks>
/// Template and wildcard patterns are split on '/'. A segment is a literal, <c>{name}</c> (exactly one
/// segment), <c>*</c> (exactly one segment) or, as the last segment only, <c>**</c> (zero or more segments).
/// A prefix pattern <c>/a/b</c> means <c>/a/b/**</c>. Regex patterns are .NET regular expressions matched
/// against the whole path with the non-backtracking engine, so a hostile pattern cannot stall a request.
/// </remarks>
public static class ApiPathSyntax
{
    /// <summary>Options every regex API is compiled with; validation uses the same so it accepts what the gateway can run.</summary>
    public const RegexOptions RegexOptionsForApis = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary>Resolves <see cref="MatchKind.Auto"/>: <c>*</c> makes a wildcard, <c>{</c> a template, anything else exact.</summary>
    public static MatchKind Resolve(MatchKind kind, string path)
    {
        if (kind != MatchKind.Auto)
        {
            return kind;
        }

        if (path.Contains('*'))
        {
            return MatchKind.Wildcard;
        }

        return path.Contains('{') ? MatchKind.Template : MatchKind.Exact;
    }

    /// <summary>Returns why <paramref name="path"/> is not a valid pattern of <paramref name="kind"/>, or null when it is.</summary>
    public static string? Check(MatchKind kind, string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "path is required";
        }

        kind = Resolve(kind, path);
        if (kind == MatchKind.Regex)
        {
            return CheckRegex(path);
        }

        if (path[0] != '/')
        {
            return $"path '{path}' must start with '/'";
        }

        if (path.Contains('?') || path.Contains('#'))
        {
            return $"path '{path}' must not contain a query or fragment";
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            return $"path '{path}' must not contain an empty segment ('//')";
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            var problem = CheckSegment(kind, path, segments[i], i == segments.Length - 1);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckSegment(MatchKind kind, string path, string segment, bool last)
    {
        var isParam = segment.Length > 2 && segment[0] == '{' && segment[^1] == '}';
        if (isParam)
        {
            var name = segment.AsSpan(1, segment.Length - 2);
            if (kind is MatchKind.Exact or MatchKind.Prefix)
            {
                return $"path '{path}' has a parameter segment '{segment}' but match is {kind}";
            }

            foreach (var c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
                {
                    return $"path '{path}': parameter '{segment}' may hold only letters, digits, '_' and '-'";
                }
            }

            return null;
        }

        if (segment.Contains('{') || segment.Contains('}'))
        {
            return $"path '{path}': segment '{segment}' must be a whole '{{name}}' parameter or contain no braces";
        }

        if (segment is "*" or "**")
        {
            if (kind != MatchKind.Wildcard)
            {
                return $"path '{path}' has wildcard segment '{segment}' but match is {kind}";
            }

            if (segment == "**" && !last)
            {
                return $"path '{path}': '**' may only be the last segment";
            }

            return null;
        }

        if (segment.Contains('*'))
        {
            return $"path '{path}': '*' must be a whole segment ('*' or '**')";
        }

        return null;
    }

    private static string? CheckRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptionsForApis);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"regex '{pattern}' is invalid: {ex.Message}";
        }
        catch (NotSupportedException ex)
        {
            return $"regex '{pattern}' uses a construct the non-backtracking engine does not support: {ex.Message}";
        }
    }
}
