using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Gatehouse.Core.Hashing;

/// <summary>
/// XXH64, the 64-bit xxHash: a fast non-cryptographic hash used for consistent-hash rings and snapshot
/// checksums. Output matches the reference implementation for every input and seed.
/// </summary>
/// <remarks>
/// Written from the published XXH64 specification (xxHash <c>doc/xxhash_spec.md</c>): inputs of 32 bytes or
/// more are consumed in 32-byte stripes by four accumulators, the rest in 8-, 4- and 1-byte steps, and the
/// result goes through a final avalanche. All multi-byte reads are little-endian, as the specification
/// requires, so the value is the same on every platform.
/// <para>
/// NOTE: not for anything an attacker can exploit by finding collisions (it is not keyed in a secret way);
/// the gateway only uses it to spread keys over nodes.
/// </para>
/// </remarks>
public static class XxHash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    private const int StripeLength = 32;

    // Up to this many UTF-8 bytes are encoded on the stack; above it a pooled array is used so that a long
    // key cannot exhaust the stack.
    private const int MaxStackBytes = 512;

    /// <summary>Returns the XXH64 hash of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var length = data.Length;
        ulong acc;

        if (length >= StripeLength)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;

            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
                data = data[StripeLength..];
            }
            while (data.Length >= StripeLength);

            acc = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            acc = MergeAccumulator(acc, v1);
            acc = MergeAccumulator(acc, v2);
            acc = MergeAccumulator(acc, v3);
            acc = MergeAccumulator(acc, v4);
        }
        else
        {
            acc = seed + Prime5;
        }

        // The specification adds the full input length, not just the remainder.
        acc += (ulong)length;

        while (data.Length >= 8)
        {
            acc ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            acc = BitOperations.RotateLeft(acc, 27) * Prime1 + Prime4;
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            acc ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime1;
            acc = BitOperations.RotateLeft(acc, 23) * Prime2 + Prime3;
            data = data[4..];
        }

        foreach (var b in data)
        {
            acc ^= b * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
        }

        return Avalanche(acc);
    }

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong lane)
    {
        acc += lane * Prime2;
        acc = BitOperations.RotateLeft(acc, 31);
        return acc * Prime1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MergeAccumulator(ulong acc, ulong accN)
    {
        acc ^= Round(0, accN);
        return acc * Prime1 + Prime4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Avalanche(ulong acc)
    {
        acc ^= acc >> 33;
        acc *= Prime2;
        acc ^= acc >> 29;
        acc *= Prime3;
        acc ^= acc >> 32;
        return acc;
    }
}
