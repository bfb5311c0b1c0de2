using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Core.Security;

/// <summary>
/// The encrypted-payload envelope shared by the gateway (decrypts requests, encrypts responses) and the SDK (the
/// reverse): AES-256-GCM with a key derived from the app's secret, bound to the exchange by its associated data.
/// </summary>
/// <remarks>
/// <para>Envelope (the whole body, Content-Type <see cref="ContentType"/>):</para>
/// <code>
/// offset 0        1 byte   version, 0x01
/// offset 1       12 bytes  nonce, random per message
/// offset 13       n bytes  ciphertext of the framed plaintext
/// offset 13+n    16 bytes  GCM tag
/// </code>
/// <para>Framed plaintext: a 2-byte big-endian length, that many bytes of the original Content-Type (ASCII; 0 bytes:
/// none), then the body. The content type is encrypted with the body rather than sent beside it.</para>
/// <para>Key: HKDF-SHA256 (RFC 5869) of the app secret's UTF-8 bytes, no salt, info <see cref="KeyInfo"/>, 32 bytes.</para>
/// <para>Associated data: UTF-8 lines joined by <c>\n</c> (see <see cref="RequestAad"/>, <see cref="ResponseAad"/>), so
/// an envelope opens only for the app, method, path and query it was made for; a response envelope also only for its
/// status and the request it answers.</para>
/// </remarks>
public static class PayloadEnvelope
{
    /// <summary>Media type of an envelope, on requests and responses.</summary>
    public const string ContentType = "application/gatehouse-encrypted";

    /// <summary>The only envelope version so far.</summary>
    public const byte Version = 1;

    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int KeySize = 32;

    /// <summary>Version and nonce, before the ciphertext.</summary>
    public const int HeaderSize = 1 + NonceSize;

    /// <summary>Envelope bytes around the framed plaintext.</summary>
    public const int Overhead = HeaderSize + TagSize;

    /// <summary>First line of every associated data: names the algorithm and the envelope version.</summary>
    public const string AadPrefix = "GATEHOUSE-AES256GCM-V1";

    /// <summary>HKDF info of the payload key; a new key derivation would get a new info string.</summary>
    public static ReadOnlySpan<byte> KeyInfo => "gatehouse payload v1"u8;

    private const int MaxContentTypeBytes = ushort.MaxValue;

    /// <summary>The AES-256 key of an app: HKDF-SHA256(secret, salt: none, info: <see cref="KeyInfo"/>).</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> secret)
    {
        var key = new byte[KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, key, salt: [], info: KeyInfo);
        return key;
    }

    /// <summary>The key of an app from its secret as configured (UTF-8).</summary>
    public static byte[] DeriveKey(string secret) => DeriveKey(Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// Associated data of a request envelope:
    /// <c>GATEHOUSE-AES256GCM-V1\nrequest\n{appKey}\n{METHOD}\n{canonical path}\n{canonical query}</c>, path and query
    /// canonical as for signatures (<see cref="RequestSigning.CanonicalPath"/>, <see cref="RequestSigning.CanonicalQuery"/>).
    /// </summary>
    public static byte[] RequestAad(string appKey, string method, string canonicalPath, string canonicalQuery) =>
        Encoding.UTF8.GetBytes($"{AadPrefix}\nrequest\n{appKey}\n{method.ToUpperInvariant()}\n{canonicalPath}\n{canonicalQuery}");

    /// <summary>
    /// Associated data of a response envelope: the request's lines with <c>response</c> in place of <c>request</c>,
    /// then the response status and the lower-case hex nonce of the request envelope (an empty line when the request
    /// had no body).
    /// </summary>
    public static byte[] ResponseAad(string appKey, string method, string canonicalPath, string canonicalQuery, int status,
        ReadOnlySpan<byte> requestNonce) =>
        Encoding.UTF8.GetBytes(
            $"{AadPrefix}\nresponse\n{appKey}\n{method.ToUpperInvariant()}\n{canonicalPath}\n{canonicalQuery}\n{status.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToHexStringLower(requestNonce)}");

    /// <summary>Envelope length for a body of <paramref name="bodyLength"/> bytes and a content type of <paramref name="contentTypeBytes"/> bytes.</summary>
    public static int SealedLength(int contentTypeBytes, int bodyLength) => Overhead + 2 + contentTypeBytes + bodyLength;

    /// <summary>Bytes the content type takes in the framed plaintext (ASCII; other characters are refused by <see cref="Seal"/>).</summary>
    public static int ContentTypeBytes(string? contentType) => contentType?.Length ?? 0;

    /// <summary>
    /// Writes the envelope of <paramref name="body"/> into <paramref name="destination"/>, which must hold
    /// <see cref="SealedLength"/> bytes; returns that length.
    /// </summary>
    /// <param name="aes">A key-bound cipher with 16-byte tags; not used by two threads at once.</param>
    /// <param name="nonce">12 random bytes, never reused with the same key.</param>
    /// <param name="contentType">The body's media type, or null for none.</param>
    /// <param name="body">The plaintext body.</param>
    /// <param name="aad">From <see cref="RequestAad"/> or <see cref="ResponseAad"/>.</param>
    /// <param name="destination">Where the envelope goes; must not overlap <paramref name="body"/>.</param>
    public static int Seal(AesGcm aes, ReadOnlySpan<byte> nonce, string? contentType, ReadOnlySpan<byte> body,
        ReadOnlySpan<byte> aad, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(aes);
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"The nonce must be {NonceSize} bytes.", nameof(nonce));
        }

        var typeBytes = ContentTypeBytes(contentType);
        if (typeBytes > MaxContentTypeBytes || (contentType is not null && !IsContentTypeText(contentType)))
        {
            throw new ArgumentException("The content type must be printable ASCII of at most 65535 characters.", nameof(contentType));
        }

        var length = SealedLength(typeBytes, body.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination must hold {length} bytes.", nameof(destination));
        }

        destination[0] = Version;
        nonce.CopyTo(destination[1..]);
        var framed = destination.Slice(HeaderSize, length - Overhead);
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)typeBytes);
        if (contentType is not null)
        {
            Encoding.ASCII.GetBytes(contentType, framed.Slice(2, typeBytes));
        }

        body.CopyTo(framed[(2 + typeBytes)..]);

        // In place: the framed plaintext sits where its ciphertext goes (GCM is a stream mode, same length).
        aes.Encrypt(nonce, framed, framed, destination.Slice(length - TagSize, TagSize), aad);
        return length;
    }

    /// <summary>
    /// Checks and decrypts an envelope in place. On <see cref="OpenResult.Ok"/>, <paramref name="contentType"/> is the
    /// body's media type (null for none) and <paramref name="body"/> where the plaintext body lies in
    /// <paramref name="envelope"/>. Any other result leaves no plaintext behind.
    /// </summary>
    public static OpenResult Open(AesGcm aes, Span<byte> envelope, ReadOnlySpan<byte> aad, out string? contentType, out Range body)
    {
        ArgumentNullException.ThrowIfNull(aes);
        contentType = null;
        body = default;
        if (envelope.Length < Overhead + 2)
        {
            return OpenResult.Truncated;
        }

        if (envelope[0] != Version)
        {
            return OpenResult.UnknownVersion;
        }

        var nonce = envelope.Slice(1, NonceSize);
        var tag = envelope[^TagSize..];
        var framed = envelope[HeaderSize..^TagSize];
        try
        {
            aes.Decrypt(nonce, framed, tag, framed, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            // .NET has already zeroed the output: nothing unauthenticated remains in the buffer.
            return OpenResult.TagMismatch;
        }

        var typeBytes = BinaryPrimitives.ReadUInt16BigEndian(framed);
        if (typeBytes > framed.Length - 2)
        {
            framed.Clear();
            return OpenResult.BadFraming;
        }

        if (typeBytes > 0)
        {
            var typeSpan = framed.Slice(2, typeBytes);
            foreach (var b in typeSpan)
            {
                if (b is < 0x20 or > 0x7E)
                {
                    framed.Clear();
                    return OpenResult.BadFraming;
                }
            }

            contentType = Encoding.ASCII.GetString(typeSpan);
        }

        var start = HeaderSize + 2 + typeBytes;
        body = start..(envelope.Length - TagSize);
        return OpenResult.Ok;
    }

    /// <summary>The nonce of an envelope (its bytes 1..12); the envelope must be at least <see cref="HeaderSize"/> long.</summary>
    public static ReadOnlySpan<byte> NonceOf(ReadOnlySpan<byte> envelope) => envelope.Slice(1, NonceSize);

    /// <summary>Whether a Content-Type header value names the envelope type (parameters and case ignored).</summary>
    public static bool IsEnvelopeContentType(string? value)
    {
        if (value is null)
        {
            return false;
        }

        var span = value.AsSpan();
        var semicolon = span.IndexOf(';');
        if (semicolon >= 0)
        {
            span = span[..semicolon];
        }

        return span.Trim().Equals(ContentType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Human-readable reason for a failed <see cref="Open"/>, for error responses and exceptions.</summary>
    public static string Describe(OpenResult result) => result switch
    {
        OpenResult.Truncated => $"The envelope is shorter than its fixed {Overhead + 2} bytes of framing.",
        OpenResult.UnknownVersion => $"The envelope version is not {Version}.",
        OpenResult.TagMismatch => "The ciphertext does not authenticate: it was altered, made with another key, or made for another request.",
        OpenResult.BadFraming => "The decrypted payload is not framed as a content type and a body.",
        _ => "The envelope is valid.",
    };

    /// <summary>Whether a content type can travel in an envelope: printable ASCII only.</summary>
    public static bool IsContentTypeText(string value)
    {
        foreach (var c in value)
        {
            if (c is < (char)0x20 or > (char)0x7E)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Outcome of <see cref="PayloadEnvelope.Open"/>.</summary>
public enum OpenResult
{
    Ok,

    /// <summary>Too short to hold version, nonce, content-type length and tag.</summary>
    Truncated,

    /// <summary>The version byte is not one this code knows.</summary>
    UnknownVersion,

    /// <summary>Authentication failed: tampered, wrong key, or wrong associated data (another API, app or request).</summary>
    TagMismatch,

    /// <summary>Authenticated, but the framed plaintext is inconsistent (content-type length past the end, or not ASCII).</summary>
    BadFraming,
}
