using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// HMAC-SHA256 signatures on control-channel calls between admin and gateways (config pulls, heartbeats,
/// pushes), with a shared secret. The signed string binds the method, the path and query, a SHA-256 of the
/// body and a Unix timestamp, so a captured call cannot be replayed outside the time window or altered.
/// </summary>
/// <remarks>
/// Headers: <c>X-Gatehouse-Timestamp</c> (Unix seconds) and <c>X-Gatehouse-Signature</c>
/// (lower-case hex of HMAC-SHA256(secret, "{timestamp}\n{METHOD}\n{pathAndQuery}\n{hex(SHA-256(body))}")).
/// </remarks>
public static class ControlSignature
{
    public const string TimestampHeader = "X-Gatehouse-Timestamp";
    public const string SignatureHeader = "X-Gatehouse-Signature";

    /// <summary>How far a timestamp may be from the verifier's clock, either way.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    private const string Mismatch = "signature does not match";

    public static string Sign(string secret, long unixSeconds, string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var payload = $"{unixSeconds.ToString(CultureInfo.InvariantCulture)}\n{method.ToUpperInvariant()}\n{pathAndQuery}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload)));
    }

    /// <summary>Checks a signature; returns null when valid, else why not (for the 401 problem detail).</summary>
    public static string? Verify(string secret, string? timestamp, string? signature, string method, string pathAndQuery,
        ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan? window = null)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return $"missing {TimestampHeader} or {SignatureHeader}";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return $"{TimestampHeader} is not Unix seconds";
        }

        var skew = (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration();
        if (skew > (window ?? DefaultWindow))
        {
            return $"{TimestampHeader} is outside the allowed window";
        }

        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, method, pathAndQuery, body));
        var given = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given) ? null : Mismatch;
    }

    /// <summary>
    /// Checks a signature against the current secret, then each previous one still accepted during a rotation
    /// (<c>Gatehouse:PreviousControlSecrets</c>); returns null when one matches, else why not.
    /// <paramref name="matched"/> is the index of the secret that matched (0 = current), or -1.
    /// </summary>
    public static string? VerifyAny(string secret, IReadOnlyList<string> previousSecrets, string? timestamp, string? signature,
        string method, string pathAndQuery, ReadOnlySpan<byte> body, DateTimeOffset now, out int matched, TimeSpan? window = null)
    {
        matched = -1;
        var failure = Verify(secret, timestamp, signature, method, pathAndQuery, body, now, window);
        if (failure is null)
        {
            matched = 0;
            return null;
        }

        if (failure != Mismatch)
        {
            // Missing headers or a stale timestamp fail the same way under every secret.
            return failure;
        }

        for (var i = 0; i < previousSecrets.Count; i++)
        {
            if (!string.IsNullOrEmpty(previousSecrets[i])
                && Verify(previousSecrets[i], timestamp, signature, method, pathAndQuery, body, now, window) is null)
            {
                matched = i + 1;
                return null;
            }
        }

        return previousSecrets.Count == 0
            ? failure
            : $"signature does not match the control secret nor any of the {previousSecrets.Count} previous ones";
    }
}
