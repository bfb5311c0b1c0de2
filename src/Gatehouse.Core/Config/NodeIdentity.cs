namespace Gatehouse.Core.Config;

/// <summary>How an upstream node is identified when its config gives no id.</summary>
/// <remarks>
/// The gateway, the admin and the validator must agree on this rule: node ids key health state, metrics and the
/// uniqueness check, so a node without an explicit id keeps the same id across reloads as long as its address does.
/// </remarks>
public static class NodeIdentity
{
    /// <summary>
    /// The id <paramref name="node"/> is known by: its <see cref="NodeConfig.Id"/> when not blank, else <c>host:port</c>
    /// of its address (host lower-cased, IPv6 in brackets, the scheme's default port filled in); null when there is
    /// no id and the address is not a usable http/https URI.
    /// </summary>
    public static string? EffectiveId(NodeConfig node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return EffectiveId(node.Id, node.Address);
    }

    internal static string? EffectiveId(string? id, string? address)
    {
        if (!string.IsNullOrWhiteSpace(id))
        {
            return id;
        }

        return TryParseAddress(address, out var uri) ? $"{uri.Host}:{uri.Port}" : null;
    }

    /// <summary>The scheme of Dubbo provider addresses, <c>dubbo://host:port</c>.</summary>
    public const string DubboScheme = "dubbo";

    /// <summary>The scheme of Tars server addresses, <c>tars://host:port</c>.</summary>
    public const string TarsScheme = "tars";

    /// <summary>Parses an absolute http/https/dubbo/tars address with a host; the validator reports the finer problems.</summary>
    internal static bool TryParseAddress(string? address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrEmpty(address) || !Uri.TryCreate(address, UriKind.Absolute, out var parsed))
        {
            return false;
        }

        if ((parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != DubboScheme && parsed.Scheme != TarsScheme)
            || parsed.Host.Length == 0)
        {
            return false;
        }

        uri = parsed;
        return true;
    }
}
