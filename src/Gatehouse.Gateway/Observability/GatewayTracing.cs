using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// W3C Trace Context (https://www.w3.org/TR/trace-context/) for the gateway: the <see cref="ActivitySource"/>
/// <c>Gatehouse.Gateway</c>, parsing the client's <c>traceparent</c> and formatting the one sent upstream.
/// </summary>
/// <remarks>
/// Spans are only created when a listener (the OTLP exporter) samples them. Without one, the gateway still
/// keeps the trace going: it takes the client's trace id (or makes a random one) and sends each upstream attempt
/// a <c>traceparent</c> with that trace id, a fresh parent id and the client's flags, so a backend that traces
/// joins the client's trace. The sampled flag is passed on unchanged rather than cleared, so parent-based
/// samplers downstream keep deciding as the client asked.
/// </remarks>
public static class GatewayTracing
{
    public const string SourceName = "Gatehouse.Gateway";
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>Span names: the request as the gateway serves it, and each attempt to a node.</summary>
    public const string ServerSpanName = "gatehouse.request";
    public const string ClientSpanName = "gatehouse.upstream";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Reads the request's <c>traceparent</c> without allocating: false when absent, repeated, or not valid per
    /// W3C Trace Context section 3.2 (lower-case hex, non-zero ids, version <c>ff</c> invalid, version 00 exactly
    /// 55 characters, a later version at least 55 with a dash after the flags).
    /// </summary>
    internal static bool TryReadParent(IHeaderDictionary headers, out TraceIds parent)
    {
        var traceparent = headers[TraceParentHeader];
        parent = default;
        // Absent, or repeated (the spec says to treat several as invalid).
        return traceparent.Count == 1 && TryParseTraceparent(traceparent[0], out parent);
    }

    internal static bool TryParseTraceparent(ReadOnlySpan<char> value, out TraceIds ids)
    {
        ids = default;
        if (value.Length < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-'
            || !TryHex(value[..2], out var version) || version == 0xFF
            || (version == 0 && value.Length != 55) || (version != 0 && value.Length > 55 && value[55] != '-')
            || !TryHex(value.Slice(3, 16), out var high) || !TryHex(value.Slice(19, 16), out var low)
            || !TryHex(value.Slice(36, 16), out var span) || !TryHex(value.Slice(53, 2), out var flags)
            || (high == 0 && low == 0) || span == 0)
        {
            return false;
        }

        ids = new TraceIds(high, low, span, (byte)flags);
        return true;
    }

    /// <summary>A random non-zero 64-bit id (span id, or half a trace id).</summary>
    internal static ulong NewId()
    {
        ulong id;
        do
        {
            id = (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        }
        while (id == 0);
        return id;
    }

    /// <summary><c>00-{trace id}-{span id}-{flags}</c>, 55 characters, in one allocation.</summary>
    internal static string FormatTraceparent(ulong traceHigh, ulong traceLow, ulong spanId, byte flags)
    {
        return string.Create(55, (traceHigh, traceLow, spanId, flags), static (span, state) =>
        {
            span[0] = '0';
            span[1] = '0';
            span[2] = '-';
            WriteHex(state.traceHigh, span.Slice(3, 16));
            WriteHex(state.traceLow, span.Slice(19, 16));
            span[35] = '-';
            WriteHex(state.spanId, span.Slice(36, 16));
            span[52] = '-';
            span[53] = ToHex(state.flags >> 4);
            span[54] = ToHex(state.flags & 0xF);
        });
    }

    /// <summary>The 32-digit trace id.</summary>
    internal static string FormatTraceId(ulong high, ulong low)
    {
        return string.Create(32, (high, low), static (span, state) =>
        {
            WriteHex(state.high, span[..16]);
            WriteHex(state.low, span[16..]);
        });
    }

    /// <summary>Splits an <see cref="ActivityTraceId"/> into its two halves (big-endian, as written in hex).</summary>
    internal static (ulong High, ulong Low) Split(ActivityTraceId traceId)
    {
        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    internal static ulong ToUInt64(ActivitySpanId spanId)
    {
        Span<byte> bytes = stackalloc byte[8];
        spanId.CopyTo(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    private static void WriteHex(ulong value, Span<char> destination)
    {
        for (var i = 15; i >= 0; i--)
        {
            destination[i] = ToHex((int)(value & 0xF));
            value >>= 4;
        }
    }

    private static bool TryHex(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        foreach (var c in digits)
        {
            int nibble;
            if (c is >= '0' and <= '9')
            {
                nibble = c - '0';
            }
            else if (c is >= 'a' and <= 'f')
            {
                nibble = c - 'a' + 10;
            }
            else
            {
                return false; // upper-case hex is invalid in traceparent
            }

            value = (value << 4) | (uint)nibble;
        }

        return true;
    }

    private static char ToHex(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}

/// <summary>A trace id (two halves), a span id and trace flags, as numbers: no strings until something is written.</summary>
internal readonly record struct TraceIds(ulong TraceHigh, ulong TraceLow, ulong SpanId, byte Flags);
