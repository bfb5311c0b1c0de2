using System.Security.Cryptography;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Generates compact request ids: 20 characters of lowercase base32 (RFC 4648 extended-hex alphabet, so ids sort
/// like the counter): 35 random bits identifying the process, then a 64-bit counter starting at a random value.
/// Unique within a process by construction, and across the gateways of a farm with overwhelming probability,
/// at the cost of one interlocked increment (no GUID, no random call per request).
/// </summary>
internal static class RequestIdGenerator
{
    /// <summary>Length of generated ids.</summary>
    public const int Length = 20;

    /// <summary>Longest incoming id kept as is; longer ones are replaced so logs and headers stay bounded.</summary>
    public const int MaxIncomingLength = 128;

    private const string Alphabet = "0123456789abcdefghijklmnopqrstuv";

    private static readonly long s_process = (long)(RandomNumberGenerator.GetInt32(int.MaxValue) & 0x7FFFFFFF) << 4
        | (long)RandomNumberGenerator.GetInt32(16);

    private static long s_counter = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>Returns a new id.</summary>
    public static string Next()
    {
        var counter = (ulong)Interlocked.Increment(ref s_counter);
        return string.Create(Length, counter, static (span, value) =>
        {
            // 7 characters x 5 bits = 35 bits of process id.
            var process = (ulong)s_process;
            for (var i = 6; i >= 0; i--)
            {
                span[i] = Alphabet[(int)(process & 31)];
                process >>= 5;
            }

            // 13 characters x 5 bits = 65 bits >= 64-bit counter.
            for (var i = Length - 1; i >= 7; i--)
            {
                span[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }

    /// <summary>
    /// True when an incoming X-Request-Id can be kept: non-empty, bounded, visible ASCII only (no spaces or
    /// controls), so it cannot break logs or header framing.
    /// </summary>
    public static bool IsAcceptable(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxIncomingLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c <= ' ' || c >= '\u007f')
            {
                return false;
            }
        }

        return true;
    }
}
