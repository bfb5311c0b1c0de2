namespace Gatehouse.Core.Config;

/// <summary>
/// Which client addresses may call at this level: IPv4/IPv6 addresses or CIDR blocks. Deny wins over allow; a
/// non-empty allow list admits only the addresses it covers; both empty (or absent) admits everyone.
/// </summary>
/// <remarks>
/// Not merged: each level that sets one (global, service, API) is checked, outermost first, and a request must pass
/// every one, so a global deny cannot be undone by an API and an API can narrow a service's allow list further.
/// The client address is the one the gateway resolves with its trusted proxies (<c>Gateway:TrustedProxies</c>).
/// </remarks>
[StackedPolicy]
public sealed record IpAccessConfig
{
    public IReadOnlyList<string> Allow { get; init; } = [];

    public IReadOnlyList<string> Deny { get; init; } = [];
}

/// <summary>Request limits of an API; merged field by field (API ?? service ?? global).</summary>
public sealed record RequestLimitsConfig
{
    /// <summary>
    /// Largest request body in bytes; larger gets 413 <c>payload_too_large</c>, up front from Content-Length or,
    /// for a chunked body, as soon as the streamed bytes pass it. Absent: no limit beyond the gateway-wide one.
    /// </summary>
    public long? MaxBodyBytes { get; init; }
}
