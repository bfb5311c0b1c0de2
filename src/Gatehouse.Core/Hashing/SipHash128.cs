using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gatehouse.Core.Hashing;

/// <summary>
/// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input PRF"): a keyed
/// pseudorandom function for short inputs. Used where a secret-keyed digest is needed on the request path and the
/// platform's HMAC (an OpenSSL call of about 3 µs per request on the benchmark box) costs too much.
/// </summary>
/// <remarks>Checked against the 64 reference vectors of the SipHash reference implementation in the tests.</remarks>
public static class SipHash128
{
    /// <summary>Key size in bytes.</summary>
    public const int KeySize = 16;

    /// <summary>The 128-bit tag of <paramref name="data"/> under <paramref name="key"/>, as its two little-endian halves.</summary>
    public static (ulong Low, ulong High) Hash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"SipHash keys are {KeySize} bytes.", nameof(key));
        }

        var k0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        var k1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        var v0 = k0 ^ 0x736f6d6570736575UL;
        var v1 = k1 ^ 0x646f72616e646f6dUL ^ 0xee; // the 128-bit variant marks v1
        var v2 = k0 ^ 0x6c7967656e657261UL;
        var v3 = k1 ^ 0x7465646279746573UL;

        var blocks = data.Length / 8;
        for (var i = 0; i < blocks; i++)
        {
            var m = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i * 8, 8));
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        // Last block: the remaining bytes, little-endian, with the input length (mod 256) in the top byte.
        var last = (ulong)(data.Length & 0xff) << 56;
        var tail = data[(blocks * 8)..];
        for (var i = 0; i < tail.Length; i++)
        {
            last |= (ulong)tail[i] << (8 * i);
        }

        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;

        v2 ^= 0xee;
        for (var i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        var low = v0 ^ v1 ^ v2 ^ v3;
        v1 ^= 0xdd;
        for (var i = 0; i < 4; i++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        return (low, v0 ^ v1 ^ v2 ^ v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
