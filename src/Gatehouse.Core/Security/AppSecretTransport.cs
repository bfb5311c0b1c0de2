using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// Encrypts app secrets for the trip from the admin to its gateways, so published snapshots (the admin's
/// <c>config_versions</c>, pull responses, the gateway's local snapshot file, exports) never hold a plaintext secret.
/// Both ends derive the key from the control secret they already share (<c>Gatehouse:ControlSecret</c>).
/// </summary>
/// <remarks>
/// <para>Keys: HKDF-SHA256 over the control secret's UTF-8 bytes, one 32-byte key for AES-256-GCM and one for nonces (info
/// strings below). The nonce is deterministic — the first 12 bytes of HMAC-SHA256(nonce key, appKey + "\0" + secret) —
/// so an unchanged secret under an unchanged control secret seals to the same text: the published document, and with
/// it its checksum, stays the same and no write publishes a spurious new version. A nonce repeats only for the same app
/// and secret, which GCM tolerates (it reveals only that the value is unchanged). The appKey is the associated data: an
/// envelope copied onto another app does not open.</para>
/// <para>Rotation: besides the current control secret a node may hold previous ones
/// (<c>Gatehouse:PreviousControlSecrets</c>). Sealing always uses the current one; opening picks the secret whose
/// derived key has the envelope's key id (<see cref="SecretEnvelope.KeyId"/>), or tries them in order for an envelope
/// written before key ids existed.</para>
/// </remarks>
public sealed class AppSecretTransport
{
    private static readonly byte[] EncryptionInfo = Encoding.UTF8.GetBytes("gatehouse app-secret transport v1 aes-gcm");
    private static readonly byte[] NonceInfo = Encoding.UTF8.GetBytes("gatehouse app-secret transport v1 nonce");

    private readonly DerivedKey[] _keys;

    /// <summary>Derives the transport keys from the shared control secret and any previous ones still accepted.</summary>
    public AppSecretTransport(string controlSecret, IEnumerable<string>? previousControlSecrets = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(controlSecret);
        var keys = new List<DerivedKey> { Derive(controlSecret) };
        foreach (var previous in previousControlSecrets ?? [])
        {
            if (!string.IsNullOrEmpty(previous) && previous != controlSecret)
            {
                keys.Add(Derive(previous));
            }
        }

        _keys = [.. keys];
    }

    /// <summary>The id of the key the current control secret seals under (it appears in every envelope this instance seals).</summary>
    public string KeyId => _keys[0].Id;

    /// <summary>The ids of the keys of the previous control secrets, in the configured order.</summary>
    public IReadOnlyList<string> PreviousKeyIds => _keys.Skip(1).Select(k => k.Id).ToArray();

    /// <summary>The transport cipher of <paramref name="controlSecret"/> (and previous ones), or null when none is configured.</summary>
    public static AppSecretTransport? For(string? controlSecret, IEnumerable<string>? previousControlSecrets = null) =>
        string.IsNullOrEmpty(controlSecret) ? null : new AppSecretTransport(controlSecret, previousControlSecrets);

    /// <summary>The <c>enc:v1:</c> form of <paramref name="secret"/> for app <paramref name="appKey"/> under the current control secret; the same inputs always give the same text.</summary>
    public string Seal(string appKey, string secret)
    {
        var current = _keys[0];
        var nonce = HMACSHA256.HashData(current.NonceKey, Encoding.UTF8.GetBytes($"{appKey}\0{secret}")).AsSpan(0, SecretEnvelope.NonceBytes);
        return SecretEnvelope.Seal(current.Key, nonce, secret, appKey);
    }

    /// <summary>
    /// Opens an <c>enc:v1:</c> value sealed for <paramref name="appKey"/> under the current or a previous control secret;
    /// false when it was sealed under another control secret or for another app.
    /// </summary>
    public bool TryOpen(string appKey, string value, out string secret)
    {
        secret = "";
        if (!SecretEnvelope.TryReadKeyId(value, out var keyId))
        {
            return false;
        }

        foreach (var key in _keys)
        {
            if ((keyId is null || keyId == key.Id) && SecretEnvelope.TryOpen(key.Key, value, appKey, out secret))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="value"/> is sealed under the current control secret: its key id is the current one, or
    /// (written before key ids) it opens with the current key. False for a previous or unknown secret.
    /// </summary>
    public bool IsSealedUnderCurrent(string appKey, string value)
    {
        if (!SecretEnvelope.TryReadKeyId(value, out var keyId))
        {
            return false;
        }

        return keyId is not null ? keyId == _keys[0].Id : SecretEnvelope.TryOpen(_keys[0].Key, value, appKey, out _);
    }

    /// <summary>Why <paramref name="value"/> did not open here, naming the key ids, for the log line that says which secret is missing.</summary>
    public string DescribeFailure(string value)
    {
        var known = $"this node's control secret has key id '{KeyId}'"
            + (_keys.Length > 1 ? $", its previous ones {string.Join(", ", PreviousKeyIds.Select(id => $"'{id}'"))}" : ", it has no previous ones");
        if (!SecretEnvelope.TryReadKeyId(value, out var keyId))
        {
            return "the value is not a well-formed enc:v1: envelope";
        }

        return keyId is null
            ? $"it opens with none of this node's control secrets ({known})"
            : _keys.Any(k => k.Id == keyId)
                ? $"it is sealed under key id '{keyId}', which this node holds, but does not authenticate (altered, or sealed for another appKey)"
                : $"it is sealed under a control secret with key id '{keyId}' and {known}: give this node the admin's current control secret";
    }

    private static DerivedKey Derive(string controlSecret)
    {
        var ikm = Encoding.UTF8.GetBytes(controlSecret);
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: null, info: EncryptionInfo);
        var nonceKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: null, info: NonceInfo);
        return new DerivedKey(SecretEnvelope.KeyId(key), key, nonceKey);
    }

    private sealed record DerivedKey(string Id, byte[] Key, byte[] NonceKey);
}
