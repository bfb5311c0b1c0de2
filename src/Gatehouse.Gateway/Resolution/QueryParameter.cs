namespace Gatehouse.Gateway.Resolution;

/// <summary>Finds a raw query parameter value by scanning the query string, without allocating.</summary>
internal static class QueryParameter
{
    /// <param name="query">The query string, with or without its leading '?'.</param>
    /// <param name="name">Parameter name, compared ordinally (not unescaped).</param>
    /// <param name="value">The raw (still percent-encoded) value of the first occurrence.</param>
    public static bool TryFind(ReadOnlySpan<char> query, ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        if (query.Length > 0 && query[0] == '?')
        {
            query = query[1..];
        }

        while (!query.IsEmpty)
        {
            var amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (key.SequenceEqual(name))
            {
                value = eq < 0 ? [] : pair[(eq + 1)..];
                return true;
            }

            query = amp < 0 ? [] : query[(amp + 1)..];
        }

        value = default;
        return false;
    }
}
