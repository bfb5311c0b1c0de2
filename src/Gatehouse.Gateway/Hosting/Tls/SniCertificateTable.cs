using System.Collections.Frozen;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// Which certificate answers a TLS server name (SNI): an exact name first, then a one-label wildcard
/// (<c>*.example.com</c> matches <c>a.example.com</c>, not <c>example.com</c> nor <c>a.b.example.com</c>, as RFC 6125
/// §6.4.3 has clients match), else the default (the first certificate). Immutable: built at load and at each reload,
/// then swapped whole, so a handshake reads it without a lock and allocates nothing (two frozen-dictionary lookups).
/// </summary>
/// <typeparam name="T">What a certificate is served as (the prebuilt server options of one certificate).</typeparam>
internal sealed class SniCertificateTable<T>
    where T : class
{
    private readonly FrozenDictionary<string, T> _exact;
    private readonly FrozenDictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _wildcard;

    private SniCertificateTable(T fallback, FrozenDictionary<string, T> exact, FrozenDictionary<string, T> wildcard)
    {
        Default = fallback;
        _exact = exact;
        _wildcard = wildcard.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The certificate for a handshake without a server name, or with one no certificate lists.</summary>
    public T Default { get; }

    /// <summary>
    /// Builds the table from certificates in configuration order (the first is the default). A name two certificates
    /// claim goes to the earlier one; <paramref name="shadowed"/> hears of each such name and the index that lost it.
    /// </summary>
    public static SniCertificateTable<T> Build(IReadOnlyList<(IReadOnlyList<string> Hosts, T Value)> entries, Action<string, int>? shadowed = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(entries.Count);
        var exact = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
        var wildcard = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < entries.Count; i++)
        {
            foreach (var raw in entries[i].Hosts)
            {
                var host = SniHostNames.Normalize(raw);
                var added = host.StartsWith("*.", StringComparison.Ordinal)
                    ? wildcard.TryAdd(host[2..], entries[i].Value)
                    : exact.TryAdd(host, entries[i].Value);
                if (!added)
                {
                    shadowed?.Invoke(host, i);
                }
            }
        }

        return new SniCertificateTable<T>(entries[0].Value,
            exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), wildcard.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The certificate for <paramref name="serverName"/> (case-insensitive, as DNS names are).</summary>
    public T Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return Default;
        }

        if (_exact.TryGetValue(serverName, out var value))
        {
            return value;
        }

        var dot = serverName.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && _wildcard.TryGetValue(serverName.AsSpan(dot + 1), out value) ? value : Default;
    }
}
