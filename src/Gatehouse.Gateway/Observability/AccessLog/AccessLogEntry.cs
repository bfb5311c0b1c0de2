using System.Net;

namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// What the request path hands the access log: references to strings the request already holds and a few
/// numbers, copied into a queue slot. Nothing is formatted on the request path (the writer thread does that).
/// </summary>
internal readonly struct AccessLogEntry
{
    /// <summary>
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp of the request's arrival (the one metrics use). The writer
    /// thread turns it into wall-clock time, so the request path reads no wall clock.
    /// </summary>
    public long StartTimestamp { get; init; }

    public string? RequestId { get; init; }

    public ulong TraceHigh { get; init; }

    public ulong TraceLow { get; init; }

    public IPAddress? ClientIp { get; init; }

    public string Method { get; init; }

    /// <summary>The request target as received (percent-encoded path and query); the writer cuts the query off unless configured.</summary>
    public string Target { get; init; }

    public string? Service { get; init; }

    public string? Api { get; init; }

    public string? Node { get; init; }

    /// <summary>The protocol the client spoke (<c>HTTP/1.1</c>, <c>HTTP/2</c>), one of Kestrel's interned strings.</summary>
    public string? Protocol { get; init; }

    /// <summary>The <c>Host</c> header (or <c>:authority</c>) as the client sent it.</summary>
    public string? Host { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>The status the gateway sent.</summary>
    public int Status { get; init; }

    /// <summary>The status the node answered the latest attempt with; 0 when no node answered.</summary>
    public int UpstreamStatus { get; init; }

    /// <summary>The <c>grpc-status</c> the call ended with; null when none (not gRPC, or the node sent none).</summary>
    public int? GrpcStatus { get; init; }

    public long BytesIn { get; init; }

    public long BytesOut { get; init; }

    /// <summary>Whole request, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long TotalTicks { get; init; }

    /// <summary>Sum of the upstream attempts, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long UpstreamTicks { get; init; }

    /// <summary>The problem <c>code</c> the gateway answered, or the kind of upstream failure; null on success.</summary>
    public string? Error { get; init; }
}
