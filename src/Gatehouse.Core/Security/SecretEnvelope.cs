using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// The text form of an AES-256-GCM encrypted secret: <c>enc:v1:{keyId}:{nonce}:{ciphertext+tag}</c>, all parts base64url
/// without padding, an 8-byte key id (<see cref="KeyId"/>), a 12-byte nonce and a 16-byte tag. Used for app secrets at
/// rest in the admin store and in transport to gateways (<see cref="AppSecretTransport"/>); the two differ in key and
/// nonce choice, not in format.
/// </summary>
/// <remarks>
/// The key id names the key that sealed the value, so a reader holding a current and previous keys (during a rotation)
/// knows which one opens it, and can say which key is missing when none does. Values written before key ids existed,
/// <c>enc:v1:{nonce}:{ciphertext+tag}</c>, still open: the reader tries its keys in order. The key id was added as a
/// third part under the same <c>enc:v1:</c> prefix on purpose: a reader that predates it still sees an envelope and
/// fails loudly (the first part is not a 12-byte nonce) instead of taking the envelope text for a plaintext secret.
/// </remarks>
public static class SecretEnvelope
{
    /// <summary>What every envelope starts with; a value without it is a plain secret.</summary>
    public const string Prefix = "enc:v1:";

    /// <summary>Bytes of the AES-GCM nonce.</summary>
    public const int NonceBytes = 12;

    /// <summary>Bytes of a key id.</summary>
    public const int KeyIdBytes = 8;

    private const int TagBytes = 16;

    /// <summary>
    /// The id of <paramref name="key"/>: base64url of the first 8 bytes of its SHA-256. It names the key without
    /// revealing it (a 256-bit key cannot be found from 64 bits of its hash) and is the same on every machine.
    /// </summary>
    public static string KeyId(ReadOnlySpan<byte> key) => Base64Url.EncodeToString(SHA256.HashData(key).AsSpan(0, KeyIdBytes));

    /// <summary>
    /// Reads the key id of an envelope: true for a well-formed envelope, with <paramref name="keyId"/> null when it
    /// predates key ids; false when <paramref name="value"/> is no envelope or is malformed.
    /// </summary>
    public static bool TryReadKeyId(string? value, out string? keyId)
    {
        keyId = null;
        if (!TrySplit(value, out var id, out _, out _))
        {
            return false;
        }

        keyId = id.IsEmpty ? null : id.ToString();
        return true;
    }

    /// <summary>True when <paramref name="value"/> has the envelope prefix (it may still fail to open).</summary>
    public static bool IsEnvelope(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Encrypts <paramref name="secret"/> under <paramref name="key"/> (32 bytes) with <paramref name="nonce"/>, binding <paramref name="associatedData"/>.</summary>
    /// <remarks>The caller owns nonce uniqueness: a nonce may repeat under one key only for the same plaintext and associated data.</remarks>
    public static string Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, string secret, string associatedData)
    {
        // The key id is not authenticated data: it only picks the key, and a forged one at worst picks a key that fails.
        if (nonce.Length != NonceBytes)
        {
            throw new ArgumentException($"the nonce must be {NonceBytes} bytes", nameof(nonce));
        }

        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[plaintext.Length + TagBytes];
        using (var aes = new AesGcm(key, TagBytes))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length),
                Encoding.UTF8.GetBytes(associatedData));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return $"{Prefix}{KeyId(key)}:{Base64Url.EncodeToString(nonce)}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    /// <summary>
    /// Decrypts an envelope (with or without a key id; the id is not checked, see <see cref="TryReadKeyId"/>); false when
    /// it is malformed, was sealed under another key, or for other associated data.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, string value, string associatedData, out string secret)
    {
        secret = "";
        if (!TrySplit(value, out _, out var nonceText, out var sealedText))
        {
            return false;
        }

        byte[] nonce;
        byte[] sealedBytes;
        try
        {
            nonce = Base64Url.DecodeFromChars(nonceText);
            sealedBytes = Base64Url.DecodeFromChars(sealedText);
        }
        catch (FormatException)
        {
            return false;
        }

        if (nonce.Length != NonceBytes || sealedBytes.Length < TagBytes)
        {
            return false;
        }

        var plaintext = new byte[sealedBytes.Length - TagBytes];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(nonce, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), plaintext,
                Encoding.UTF8.GetBytes(associatedData));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        secret = Encoding.UTF8.GetString(plaintext);
        CryptographicOperations.ZeroMemory(plaintext);
        return true;
    }

    // enc:v1:{keyId}:{nonce}:{sealed} or, written before key ids, enc:v1:{nonce}:{sealed} (then keyId is empty).
    private static bool TrySplit(string? value, out ReadOnlySpan<char> keyId, out ReadOnlySpan<char> nonce, out ReadOnlySpan<char> sealedText)
    {
        keyId = nonce = sealedText = default;
        if (!IsEnvelope(value))
        {
            return false;
        }

        var body = value!.AsSpan(Prefix.Length);
        var first = body.IndexOf(':');
        if (first < 0)
        {
            return false;
        }

        var rest = body[(first + 1)..];
        var second = rest.IndexOf(':');
        if (second < 0)
        {
            nonce = body[..first];
            sealedText = rest;
            return true;
        }

        keyId = body[..first];
        nonce = rest[..second];
        sealedText = rest[(second + 1)..];
        return !keyId.IsEmpty && sealedText.IndexOf(':') < 0;
    }
}
