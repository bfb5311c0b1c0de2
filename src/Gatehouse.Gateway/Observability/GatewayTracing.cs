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

    /// <summary>Parses the request's <c>traceparent</c> (and <c>tracestate</c>); false when absent or invalid.</summary>
    internal static bool TryReadParent(IHeaderDictionary headers, out ActivityContext parent)
    {
        var traceparent = headers[TraceParentHeader];
        if (traceparent.Count != 1)
        {
            // Absent, or repeated (the spec says to treat several as invalid).
            parent = default;
            return false;
        }

        var tracestate = headers[TraceStateHeader];
        return ActivityContext.TryParse(traceparent.ToString(), tracestate.Count == 0 ? null : tracestate.ToString(),
            isRemote: true, out parent);
    }

    /// <summary><c>00-{trace id}-{span id}-{flags}</c>, 55 characters, in one allocation.</summary>
    internal static string FormatTraceparent(ActivityTraceId traceId, ActivitySpanId spanId, ActivityTraceFlags flags)
    {
        return string.Create(55, (traceId, spanId, flags), static (span, state) =>
        {
            span[0] = '0';
            span[1] = '0';
            span[2] = '-';
            Span<byte> bytes = stackalloc byte[16];
            state.traceId.CopyTo(bytes);
            Convert.TryToHexStringLower(bytes, span.Slice(3, 32), out _);
            span[35] = '-';
            state.spanId.CopyTo(bytes[..8]);
            Convert.TryToHexStringLower(bytes[..8], span.Slice(36, 16), out _);
            span[52] = '-';
            var f = (int)state.flags & 0xFF;
            span[53] = ToHex(f >> 4);
            span[54] = ToHex(f & 0xF);
        });
    }

    private static char ToHex(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
