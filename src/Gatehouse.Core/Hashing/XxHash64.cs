using System.Buffers;
using System.Text;

namespace Gatehouse.Core.Hashing;

/// <summary>
/// XXH64, the 64-bit xxHash: a fast non-cryptographic hash used for consistent-hash rings and canary buckets.
/// The hashing itself is <see cref="System.IO.Hashing.XxHash64"/>; this type keeps the gateway's calls in one
/// place and adds hashing of text as UTF-8 without allocating.
/// </summary>
/// <remarks>
/// The output is the reference XXH64 for every input and seed, so ring positions and buckets are the same on
/// every gateway release and platform (the tests pin published vectors and values the gateway has used since
/// its first release).
/// <para>
/// NOTE: not for anything an attacker can exploit by finding collisions (it is not keyed in a secret way);
/// the gateway only uses it to spread keys over nodes.
/// </para>
/// </remarks>
public static class XxHash64
{
    // Up to this many UTF-8 bytes are encoded on the stack; above it a pooled array is used so that a long
    // key cannot exhaust the stack.
    private const int MaxStackBytes = 512;

    /// <summary>Returns the XXH64 hash of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0) =>
        System.IO.Hashing.XxHash64.HashToUInt64(data, unchecked((long)seed));

    /// <summary>
    /// Returns <see cref="Hash"/> of the UTF-8 encoding of <paramref name="text"/> without allocating: the
    /// bytes go to a stack buffer, or to a pooled array for long text. Unpaired surrogates are encoded as
    /// U+FFFD, exactly as <see cref="Encoding.UTF8"/> does.
    /// </summary>
    public static ulong HashUtf8(ReadOnlySpan<char> text, ulong seed = 0)
    {
        // Each UTF-16 code unit becomes at most 3 UTF-8 bytes (a surrogate pair, 2 units, becomes 4), so this
        // bound is exact enough to decide stack or pool without a counting pass over short text.
        if (text.Length <= MaxStackBytes / 3)
        {
            Span<byte> buffer = stackalloc byte[MaxStackBytes];
            var written = Encoding.UTF8.GetBytes(text, buffer);
            return Hash(buffer[..written], seed);
        }

        var byteCount = Encoding.UTF8.GetByteCount(text);
        var rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            return Hash(rented.AsSpan(0, written), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
