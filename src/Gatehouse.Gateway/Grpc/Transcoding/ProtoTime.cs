using System.Globalization;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>The JSON text of <c>google.protobuf.Timestamp</c> (RFC 3339, UTC) and <c>google.protobuf.Duration</c> (<c>"1.5s"</c>).</summary>
internal static class ProtoTime
{
    private static readonly DateTime Epoch = DateTime.UnixEpoch;

    // The range the mapping allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
    private const long MinTimestampSeconds = -62135596800;
    private const long MaxTimestampSeconds = 253402300799;
    private const long MaxDurationSeconds = 315576000000;

    internal static string FormatTimestamp(long seconds, int nanos)
    {
        if (seconds is < MinTimestampSeconds or > MaxTimestampSeconds || nanos is < 0 or > 999_999_999)
        {
            throw new FormatException($"a Timestamp of {seconds} s and {nanos} ns is out of range");
        }

        var time = Epoch.AddSeconds(seconds);
        return time.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture) + Fraction(nanos) + "Z";
    }

    internal static string FormatDuration(long seconds, int nanos)
    {
        if (seconds is < -MaxDurationSeconds or > MaxDurationSeconds || Math.Abs(nanos) > 999_999_999
            || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
        {
            throw new FormatException($"a Duration of {seconds} s and {nanos} ns is not valid");
        }

        var sign = seconds < 0 || nanos < 0 ? "-" : "";
        return sign + Math.Abs(seconds).ToString(CultureInfo.InvariantCulture) + Fraction(Math.Abs(nanos)) + "s";
    }

    /// <summary>0, 3, 6 or 9 fractional digits, the fewest that keep the value (as the reference formatters write).</summary>
    private static string Fraction(int nanos) => nanos == 0 ? ""
        : nanos % 1_000_000 == 0 ? "." + (nanos / 1_000_000).ToString("D3", CultureInfo.InvariantCulture)
        : nanos % 1_000 == 0 ? "." + (nanos / 1_000).ToString("D6", CultureInfo.InvariantCulture)
        : "." + nanos.ToString("D9", CultureInfo.InvariantCulture);

    /// <summary>RFC 3339: <c>yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm)</c>.</summary>
    internal static (long Seconds, int Nanos) ParseTimestamp(string text, string path)
    {
        FormatException Bad() => new($"{path}: '{text}' is not an RFC 3339 timestamp (e.g. 2024-05-01T12:30:00Z)");
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't') || text[13] != ':' || text[16] != ':')
        {
            throw Bad();
        }

        if (!DateTime.TryParseExact(text.AsSpan(0, 19), "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            && !DateTime.TryParseExact(text.AsSpan(0, 19), "yyyy'-'MM'-'dd't'HH':'mm':'ss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out time))
        {
            throw Bad();
        }

        var i = 19;
        var nanos = 0;
        if (i < text.Length && text[i] == '.')
        {
            var start = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            var digits = i - start;
            if (digits is 0 or > 9)
            {
                throw Bad();
            }

            nanos = int.Parse(text.AsSpan(start, digits), CultureInfo.InvariantCulture) * (int)Math.Pow(10, 9 - digits);
        }

        long offset;
        var zone = text.AsSpan(i);
        if (zone is "Z" or "z")
        {
            offset = 0;
        }
        else if (zone.Length == 6 && zone[0] is '+' or '-' && zone[3] == ':'
            && int.TryParse(zone.Slice(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            && int.TryParse(zone.Slice(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
        {
            offset = ((hours * 60) + minutes) * 60L * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            throw Bad();
        }

        var seconds = (long)(time - Epoch).TotalSeconds - offset;
        return seconds is < MinTimestampSeconds or > MaxTimestampSeconds ? throw Bad() : (seconds, nanos);
    }

    /// <summary><c>-?\d+(\.\d{1,9})?s</c>.</summary>
    internal static (long Seconds, int Nanos) ParseDuration(string text, string path)
    {
        FormatException Bad() => new($"{path}: '{text}' is not a duration (e.g. \"1.5s\")");
        if (text.Length < 2 || text[^1] != 's')
        {
            throw Bad();
        }

        var body = text.AsSpan(0, text.Length - 1);
        var negative = body[0] == '-';
        if (negative)
        {
            body = body[1..];
        }

        var dot = body.IndexOf('.');
        var whole = dot < 0 ? body : body[..dot];
        var fraction = dot < 0 ? ReadOnlySpan<char>.Empty : body[(dot + 1)..];
        if (whole.IsEmpty || !long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (dot >= 0 && (fraction.IsEmpty || fraction.Length > 9 || !int.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            || seconds > MaxDurationSeconds)
        {
            throw Bad();
        }

        var nanos = fraction.IsEmpty ? 0 : int.Parse(fraction, CultureInfo.InvariantCulture) * (int)Math.Pow(10, 9 - fraction.Length);
        return negative ? (-seconds, -nanos) : (seconds, nanos);
    }
}
