using System.Text;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Http;

/// <summary>
/// Makes Kestrel refuse a <c>Content-Length</c> that is not only digits (RFC 9110 §8.6: <c>1*DIGIT</c>), such as
/// <c>+5</c> or <c>-0</c>, with its own 400 before the request reaches the gateway.
/// </summary>
/// <remarks>
/// <para>Kestrel parses the value with a number parser that accepts a leading sign, so <c>Content-Length: +5</c> is
/// taken as 5, and the application only ever sees the length formatted back (<c>5</c>): the guard cannot tell. A
/// proxy in front that reads <c>+5</c> differently (as invalid, or as no length) would frame the connection
/// differently from us, the setting of request smuggling.</para>
/// <para>The only hook Kestrel offers into that parse is <see cref="Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions.RequestHeaderEncodingSelector"/>:
/// with a selector other than the default, Kestrel decodes the <c>Content-Length</c> bytes with the encoding the
/// selector names before parsing them. This encoding passes digits through and turns every other byte into a
/// character no number parse accepts, so a sign fails the parse and Kestrel answers 400 and closes the connection.
/// Every other header gets null from the selector, which Kestrel treats exactly as its default decoding (ASCII, then
/// UTF-8); the cost is one delegate call and a length-first string comparison per header.</para>
/// </remarks>
internal sealed class ContentLengthDigits : Encoding
{
    /// <summary>What a non-digit byte decodes to: not a digit, sign or white space, so the number parse fails.</summary>
    private const char Refused = '?';

    private static readonly ContentLengthDigits Instance = new();

    /// <summary>The selector for <c>KestrelServerOptions.RequestHeaderEncodingSelector</c>.</summary>
    public static readonly Func<string, Encoding?> Selector = static name =>
        ReferenceEquals(name, HeaderNames.ContentLength) || string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
            ? Instance
            : null;

    /// <inheritdoc/>
    public override int GetByteCount(char[] chars, int index, int count) => count;

    /// <inheritdoc/>
    public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex)
    {
        for (var i = 0; i < charCount; i++)
        {
            var c = chars[charIndex + i];
            bytes[byteIndex + i] = c is >= '0' and <= '9' ? (byte)c : (byte)Refused;
        }

        return charCount;
    }

    /// <inheritdoc/>
    public override int GetCharCount(byte[] bytes, int index, int count) => count;

    /// <inheritdoc/>
    public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex) =>
        GetChars(bytes.AsSpan(byteIndex, byteCount), chars.AsSpan(charIndex));

    /// <inheritdoc/>
    /// <remarks>
    /// Kestrel decodes into a 20-character buffer and refuses anything over 19 characters (more than
    /// <see cref="long.MaxValue"/> has); a longer value is cut at the buffer's end instead of throwing, and so is refused.
    /// </remarks>
    public override int GetChars(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        var count = Math.Min(bytes.Length, chars.Length);
        for (var i = 0; i < count; i++)
        {
            var b = bytes[i];
            chars[i] = b is >= (byte)'0' and <= (byte)'9' ? (char)b : Refused;
        }

        return count;
    }

    /// <inheritdoc/>
    public override int GetCharCount(ReadOnlySpan<byte> bytes) => bytes.Length;

    /// <inheritdoc/>
    public override int GetMaxByteCount(int charCount) => charCount;

    /// <inheritdoc/>
    public override int GetMaxCharCount(int byteCount) => byteCount;
}
