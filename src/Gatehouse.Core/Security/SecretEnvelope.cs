using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// The text form of an AES-256-GCM encrypted secret: <c>enc:v1:{nonce}:{ciphertext+tag}</c>, both parts base64url
/// without padding, a 12-byte nonce and a 16-byte tag. Used for app secrets at rest in the admin store and in
/// transport to gateways (<see cref="AppSecretTransport"/>); the two differ in key and nonce choice, not in format.
/// </summary>
public static class SecretEnvelope
{
    /// <summary>What every envelope starts with; a value without it is a plain secret.</summary>
    public const string Prefix = "enc:v1:";

    /// <summary>Bytes of the AES-GCM nonce.</summary>
    public const int NonceBytes = 12;

    private const int TagBytes = 16;

    /// <summary>True when <paramref name="value"/> has the envelope prefix (it may still fail to open).</summary>
    public static bool IsEnvelope(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Encrypts <paramref name="secret"/> under <paramref name="key"/> (32 bytes) with <paramref name="nonce"/>, binding <paramref name="associatedData"/>.</summary>
    /// <remarks>The caller owns nonce uniqueness: a nonce may repeat under one key only for the same plaintext and associated data.</remarks>
    public static string Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, string secret, string associatedData)
    {
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
        return $"{Prefix}{Base64Url.EncodeToString(nonce)}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    /// <summary>Decrypts an envelope; false when it is malformed, was sealed under another key, or for other associated data.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, string value, string associatedData, out string secret)
    {
        secret = "";
        if (!IsEnvelope(value))
        {
            return false;
        }

        var body = value.AsSpan(Prefix.Length);
        var colon = body.IndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        byte[] nonce;
        byte[] sealedBytes;
        try
        {
            nonce = Base64Url.DecodeFromChars(body[..colon]);
            sealedBytes = Base64Url.DecodeFromChars(body[(colon + 1)..]);
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
}
