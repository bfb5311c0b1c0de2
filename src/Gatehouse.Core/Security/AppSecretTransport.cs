using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// Encrypts app secrets for the trip from the admin to its gateways, so published snapshots (the admin's
/// <c>config_versions</c>, pull responses, the gateway's local snapshot file, exports) never hold a plaintext secret.
/// Both ends derive the key from the control secret they already share (<c>Gatehouse:ControlSecret</c>).
/// </summary>
/// <remarks>
/// Keys: HKDF-SHA256 over the control secret's UTF-8 bytes, one 32-byte key for AES-256-GCM and one for nonces (info
/// strings below). The nonce is deterministic — the first 12 bytes of HMAC-SHA256(nonce key, appKey + "\0" + secret) —
/// so an unchanged secret seals to the same text: the published document, and with it its checksum, stays the same and
/// no write publishes a spurious new version. A nonce repeats only for the same app and secret, which GCM tolerates
/// (it reveals only that the value is unchanged). The appKey is the associated data: an envelope copied onto another
/// app does not open.
/// </remarks>
public sealed class AppSecretTransport
{
    private static readonly byte[] EncryptionInfo = Encoding.UTF8.GetBytes("gatehouse app-secret transport v1 aes-gcm");
    private static readonly byte[] NonceInfo = Encoding.UTF8.GetBytes("gatehouse app-secret transport v1 nonce");

    private readonly byte[] _key;
    private readonly byte[] _nonceKey;

    /// <summary>Derives the transport keys from the shared control secret.</summary>
    public AppSecretTransport(string controlSecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(controlSecret);
        var ikm = Encoding.UTF8.GetBytes(controlSecret);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: null, info: EncryptionInfo);
        _nonceKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt: null, info: NonceInfo);
    }

    /// <summary>The transport cipher of <paramref name="controlSecret"/>, or null when none is configured.</summary>
    public static AppSecretTransport? For(string? controlSecret) =>
        string.IsNullOrEmpty(controlSecret) ? null : new AppSecretTransport(controlSecret);

    /// <summary>The <c>enc:v1:</c> form of <paramref name="secret"/> for app <paramref name="appKey"/>; the same inputs always give the same text.</summary>
    public string Seal(string appKey, string secret)
    {
        var nonce = HMACSHA256.HashData(_nonceKey, Encoding.UTF8.GetBytes($"{appKey}\0{secret}")).AsSpan(0, SecretEnvelope.NonceBytes);
        return SecretEnvelope.Seal(_key, nonce, secret, appKey);
    }

    /// <summary>Opens an <c>enc:v1:</c> value sealed for <paramref name="appKey"/>; false when it was sealed under another control secret or app.</summary>
    public bool TryOpen(string appKey, string value, out string secret) => SecretEnvelope.TryOpen(_key, value, appKey, out secret);
}
