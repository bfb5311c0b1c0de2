namespace Gatehouse.Gateway.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> request header (gRPC over HTTP/2, "Requests"): 1 to 8 ASCII digits and a unit,
/// <c>H</c> hours, <c>M</c> minutes, <c>S</c> seconds, <c>m</c> milliseconds, <c>u</c> microseconds,
/// <c>n</c> nanoseconds.
/// </summary>
internal static class GrpcTimeout
{
    public const string HeaderName = "grpc-timeout";

    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(30);

    /// <summary>
    /// Parses one header value. A malformed value is ignored (false) rather than refused: the node sees it too and
    /// answers as its gRPC library does, and the API's own timeouts still bound the call.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        value = value.Trim();
        if (value.Length is < 2 or > 9)
        {
            return false;
        }

        long amount = 0;
        foreach (var c in value[..^1])
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        // At most 99,999,999 of any unit: hours stay below TimeSpan.MaxValue, nanoseconds round up to one tick.
        long? ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,
            'n' => (amount + 99) / 100,
            _ => null,
        };
        if (ticks is null)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks(ticks.Value);
        return true;
    }

    /// <summary>
    /// The gateway's deadline for a call: the shorter of the API's request timeout (infinite when unset) and the
    /// client's <c>grpc-timeout</c>; the API's timeout alone when the header is absent or malformed.
    /// </summary>
    public static TimeSpan Bound(TimeSpan apiTimeout, string? header)
    {
        // Beyond what a timer takes (about 49 days), a deadline is as good as none.
        if (header is null || !TryParse(header, out var client) || client > MaxTimer)
        {
            return apiTimeout;
        }

        return apiTimeout == Timeout.InfiniteTimeSpan || client < apiTimeout ? client : apiTimeout;
    }
}
