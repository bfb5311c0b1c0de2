using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// Short-lived tokens that turn on the route debug header for one gateway group: a request carrying a valid one in
/// <see cref="Header"/> gets <see cref="RouteHeader"/> on its response. The admin issues them; gateways check them
/// offline with the control secret they already share with the admin, so no call is made per request.
/// </summary>
/// <remarks>
/// Format: <c>v1.{expiresUnixSeconds}.{hex HMAC-SHA256(secret, "gatehouse-debug\n{group lower-case}\n{expiresUnixSeconds}")}</c>.
/// The group is bound in, so a token for one group does nothing in another; the expiry is bound in and checked, and a
/// token claiming to live longer than <see cref="MaxLifetime"/> from now is refused, so even a stolen token dies soon.
/// </remarks>
public static class DebugToken
{
    /// <summary>The request header that carries a token; never forwarded to a node.</summary>
    public const string Header = "X-Gatehouse-Debug";

    /// <summary>The response header a request with a valid token gets: <c>service=…; api=…; node=…; attempts=…</c>.</summary>
    public const string RouteHeader = "X-Gatehouse-Route";

    /// <summary>The longest a token may live (the admin's cap on what it issues; gateways refuse longer ones).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(1);

    private const string Version = "v1";

    // The clock of the issuing admin may run ahead of the gateway's a little.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Issues a token for <paramref name="group"/> that expires at <paramref name="expires"/> (whole seconds).</summary>
    public static string Issue(string secret, string group, DateTimeOffset expires)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentException.ThrowIfNullOrEmpty(group);
        var seconds = expires.ToUnixTimeSeconds();
        return $"{Version}.{seconds.ToString(CultureInfo.InvariantCulture)}.{Mac(secret, group, seconds)}";
    }

    /// <summary>
    /// Checks a token for <paramref name="group"/> against the current secret and the previous ones of a rotation; returns
    /// null when it is valid (with its expiry), else why not.
    /// </summary>
    public static string? Verify(string? secret, IReadOnlyList<string> previousSecrets, string group, string? token, DateTimeOffset now,
        out DateTimeOffset expires)
    {
        expires = default;
        if (string.IsNullOrEmpty(secret))
        {
            return "no control secret is configured";
        }

        if (string.IsNullOrEmpty(token) || !token.StartsWith(Version + ".", StringComparison.Ordinal))
        {
            return "not a debug token";
        }

        var rest = token.AsSpan(Version.Length + 1);
        var dot = rest.IndexOf('.');
        if (dot <= 0 || !long.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return "not a debug token";
        }

        expires = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (expires <= now)
        {
            return "the token has expired";
        }

        if (expires - now > MaxLifetime + ClockSkew)
        {
            return "the token claims to live longer than a debug token may";
        }

        var given = Encoding.ASCII.GetBytes(rest[(dot + 1)..].ToString().ToLowerInvariant());
        if (Matches(secret, group, seconds, given))
        {
            return null;
        }

        foreach (var previous in previousSecrets)
        {
            if (!string.IsNullOrEmpty(previous) && Matches(previous, group, seconds, given))
            {
                return null;
            }
        }

        return "the token's signature does not match";
    }

    private static bool Matches(string secret, string group, long seconds, byte[] given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(secret, group, seconds)), given);

    private static string Mac(string secret, string group, long seconds)
    {
        var payload = $"gatehouse-debug\n{group.ToLowerInvariant()}\n{seconds.ToString(CultureInfo.InvariantCulture)}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload)));
    }
}
