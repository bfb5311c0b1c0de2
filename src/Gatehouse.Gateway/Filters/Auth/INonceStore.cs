namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Remembers signature nonces so a signed request cannot be replayed while its timestamp is still in the window.
/// </summary>
/// <remarks>
/// The gateway registers <see cref="LocalNonceStore"/>: each gateway node remembers the nonces it saw, so with N
/// nodes behind a balancer a replay could reach another node within the window. A shared store (e.g. Redis
/// <c>SET key 1 NX PX ttl</c>, one round trip, atomic) closes that; it plugs in by registering another
/// <see cref="INonceStore"/> singleton before <c>AddGateway</c>.
/// </remarks>
public interface INonceStore
{
    /// <summary>
    /// Records <paramref name="nonce"/> of <paramref name="appKey"/> for <paramref name="ttl"/>. Returns false when
    /// it was already recorded and has not expired (a replay), or when the store cannot take it (full).
    /// </summary>
    ValueTask<bool> TryUseAsync(string appKey, string nonce, TimeSpan ttl);
}
