namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Remembers signature nonces so a signed request cannot be replayed while its timestamp is still in the window.
/// </summary>
/// <remarks>
/// Two stores ship: <see cref="LocalNonceStore"/> (each gateway node remembers the nonces it saw, so with N nodes
/// behind a balancer a replay could reach another node within the window) and <see cref="RedisNonceStore"/>
/// (one atomic <c>SET key 1 NX PX ttl</c> per signed request, shared by every gateway on the same Redis).
/// <see cref="NonceStoreFactory"/> picks one from <c>Gatehouse:Gateway:Nonces</c>; a host can still register
/// its own <see cref="INonceStore"/> singleton before <c>AddGatehouseGateway</c>.
/// </remarks>
public interface INonceStore
{
    /// <summary>
    /// Records <paramref name="nonce"/> of <paramref name="appKey"/> for <paramref name="ttl"/>:
    /// <see cref="NonceUse.Fresh"/> the first time, <see cref="NonceUse.Replayed"/> while it is still recorded,
    /// <see cref="NonceUse.Unavailable"/> when the store can decide neither (full, or its backend is down and
    /// configured to fail closed).
    /// </summary>
    ValueTask<NonceUse> TryUseAsync(string appKey, string nonce, TimeSpan ttl);
}

/// <summary>The answer of <see cref="INonceStore.TryUseAsync"/>.</summary>
public enum NonceUse
{
    /// <summary>First use: recorded now.</summary>
    Fresh,

    /// <summary>Already recorded and not expired: the request is a replay.</summary>
    Replayed,

    /// <summary>The store could not record it; the request is refused (503), never let through unrecorded.</summary>
    Unavailable,
}
