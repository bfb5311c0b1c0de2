using System.Globalization;

namespace Gatehouse.Dubbo.Registry;

/// <summary>
/// A provider URL as Dubbo registers it in ZooKeeper: the name of an ephemeral znode under
/// <c>/dubbo/{interface}/providers</c>, which is <c>URL.encode(url.toFullString())</c>, e.g.
/// <c>dubbo%3A%2F%2F10.0.0.5%3A20880%2Fcom.example.OrderService%3Fanyhost%3Dtrue%26...%26version%3D1.0.0%26weight%3D200</c>.
/// </summary>
/// <remarks>
/// Parsed as Dubbo's <c>URL.valueOf</c> reads it: <c>protocol://[user[:password]@]host[:port][/path][?k=v&amp;k=v]</c>, query
/// values taken as they are (Dubbo does not escape them), a key without <c>=</c> mapping to itself. A parameter read
/// through <see cref="Parameter"/> falls back to <c>default.{key}</c> when missing or empty, as Dubbo 2's
/// <c>URL.getParameter</c> does: dubbo.ts, and Dubbo before 2.7, write <c>default.group</c> rather than <c>group</c>.
/// </remarks>
public sealed class DubboProviderUrl
{
    /// <summary>Dubbo's default provider weight.</summary>
    public const int DefaultWeight = 100;

    private readonly Dictionary<string, string> _parameters;

    private DubboProviderUrl(string protocol, string host, int port, string path, Dictionary<string, string> parameters)
    {
        Protocol = protocol;
        Host = host;
        Port = port;
        Path = path;
        _parameters = parameters;
    }

    /// <summary>The URL's scheme, e.g. <c>dubbo</c> (<c>tri</c>, <c>rest</c> and others exist; only <c>dubbo</c> is callable here).</summary>
    public string Protocol { get; }

    /// <summary>The provider's host: an IP address or name, an IPv6 address in brackets.</summary>
    public string Host { get; }

    /// <summary>The provider's port; 0 when the URL has none.</summary>
    public int Port { get; }

    /// <summary>The path without its leading slash: the service path, normally the interface name.</summary>
    public string Path { get; }

    /// <summary>Every query parameter as written.</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    /// <summary>The exported interface: the <c>interface</c> parameter, else the path.</summary>
    public string Interface => Parameter("interface") ?? Path;

    /// <summary>The service version (<c>version</c>); null when none.</summary>
    public string? Version => Parameter("version");

    /// <summary>The service group (<c>group</c>); null when none.</summary>
    public string? Group => Parameter("group");

    /// <summary>The registry category (<c>category</c>, default <c>providers</c>).</summary>
    public string Category => Parameter("category") ?? "providers";

    /// <summary>
    /// <c>enabled</c>: true when missing or empty, otherwise only <c>true</c> in any case (Java's
    /// <c>Boolean.parseBoolean</c>); an operator disables a provider by writing <c>enabled=false</c>.
    /// </summary>
    public bool Enabled => Parameter("enabled") is not { } value || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The node id and address host:port, IPv6 hosts in brackets.</summary>
    public string HostPort => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A parameter's value, falling back to <c>default.{key}</c>; null when both are missing or empty.</summary>
    public string? Parameter(string key)
    {
        if (_parameters.TryGetValue(key, out var value) && value.Length > 0)
        {
            return value;
        }

        return _parameters.TryGetValue("default." + key, out value) && value.Length > 0 ? value : null;
    }

    /// <summary>
    /// The provider's weight: <c>weight</c> (default <see cref="DefaultWeight"/>). A negative weight counts as 0, as in
    /// Dubbo's load balancers; null when the value is not a whole number.
    /// </summary>
    public int? Weight
    {
        get
        {
            if (Parameter("weight") is not { } text)
            {
                return DefaultWeight;
            }

            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var weight) ? Math.Max(weight, 0) : null;
        }
    }

    /// <summary>Decodes a provider znode's name (<c>URL.encode</c>: percent-escapes, <c>+</c> for a space) and parses it.</summary>
    /// <returns>Null when the name is a provider URL; otherwise what is wrong with it.</returns>
    public static string? TryParseZNodeName(string name, out DubboProviderUrl? url)
    {
        ArgumentNullException.ThrowIfNull(name);
        // Uri.UnescapeDataString leaves a malformed escape as it is, so a bad name fails in the parse, not here.
        return TryParse(Uri.UnescapeDataString(name.Replace('+', ' ')), out url);
    }

    /// <summary>Parses a decoded provider URL.</summary>
    /// <returns>Null when it is a URL with a protocol, a host and a valid port (or none); otherwise what is wrong with it.</returns>
    public static string? TryParse(string text, out DubboProviderUrl? url)
    {
        ArgumentNullException.ThrowIfNull(text);
        url = null;
        var rest = text.Trim();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            foreach (var part in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                // Java Dubbo writes values raw (methods=a,b); dubbo.ts builds the URL with Node's url.format, which
                // escapes them (methods=a%2Cb) before the whole URL is escaped again. Unescaping each key and value once
                // more, after the split, reads both; a raw value holds no '%' in practice, and a stray one is kept.
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                {
                    var key = Unescape(part);
                    parameters[key] = key;
                }
                else if (equals > 0)
                {
                    parameters[Unescape(part[..equals])] = Unescape(part[(equals + 1)..]);
                }
            }

            rest = rest[..query];
        }

        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0)
        {
            return $"'{Shorten(text)}' is not a URL (no protocol://)";
        }

        var protocol = rest[..scheme];
        rest = rest[(scheme + 3)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var path = slash < 0 ? "" : rest[(slash + 1)..];
        var authority = slash < 0 ? rest : rest[..slash];
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }

        var port = 0;
        var colon = authority.LastIndexOf(':');
        var closing = authority.LastIndexOf(']');
        string host;
        if (colon > closing)
        {
            if (!int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                return $"'{Shorten(text)}' has no valid port";
            }

            host = authority[..colon];
        }
        else
        {
            host = authority;
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"'{Shorten(text)}' has no valid host";
        }

        url = new DubboProviderUrl(protocol, host, port, path, parameters);
        return null;
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var query = string.Join('&', _parameters.Select(p => p.Key == p.Value ? p.Key : $"{p.Key}={p.Value}"));
        return $"{Protocol}://{HostPort}/{Path}{(query.Length > 0 ? "?" + query : "")}";
    }

    private static string Unescape(string text) => text.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(text) : text;

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
