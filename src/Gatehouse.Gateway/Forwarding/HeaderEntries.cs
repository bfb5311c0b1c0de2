using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// The entries of an <see cref="IHeaderDictionary"/> in a per-thread scratch array, for walking them without an
/// allocation: <c>foreach</c> over the interface boxes the collection's enumerator (Kestrel's header class is
/// internal, so its struct enumerator cannot be named), once per request and walk. Kestrel's
/// <see cref="ICollection{T}.CopyTo"/> reads its known-header fields and copies its extra-header dictionary.
/// </summary>
/// <remarks>
/// Use with <c>using</c> and finish before any await: the array belongs to the thread, and <see cref="Dispose"/>
/// clears the used part so no request's strings stay reachable from it. Not nested (the request guard and the
/// header copier each take and release it within one synchronous call). Kestrel still formats a parsed
/// Content-Length back into a string, however the headers are read.
/// </remarks>
internal readonly ref struct HeaderEntries
{
    [ThreadStatic]
    private static KeyValuePair<string, StringValues>[]? t_scratch;

    private readonly KeyValuePair<string, StringValues>[] _array;
    private readonly int _count;

    private HeaderEntries(KeyValuePair<string, StringValues>[] array, int count)
    {
        _array = array;
        _count = count;
    }

    /// <summary>The entries, in the collection's own order.</summary>
    public ReadOnlySpan<KeyValuePair<string, StringValues>> Span => _array.AsSpan(0, _count);

    /// <summary>Copies the entries of <paramref name="headers"/> (Count of them) into this thread's array.</summary>
    public static HeaderEntries Copy(IHeaderDictionary headers)
    {
        var count = headers.Count;
        if (count == 0)
        {
            return new HeaderEntries([], 0);
        }

        var array = t_scratch;
        if (array is null || array.Length < count)
        {
            t_scratch = array = new KeyValuePair<string, StringValues>[Math.Max(count, 64)];
        }

        headers.CopyTo(array, 0);
        return new HeaderEntries(array, count);
    }

    public void Dispose()
    {
        if (_count > 0)
        {
            Array.Clear(_array, 0, _count);
        }
    }
}
