using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// The metric cells of one API (or of unmatched traffic): plain interlocked counters and fixed-bucket
/// histograms, created once per (service, API id) by <see cref="GatewayMetrics"/> and referenced from
/// <see cref="Model.ApiModel.Metrics"/>, so recording a request does no lookup and allocates nothing. A config
/// reload hands the same cells to the new snapshot, so counters stay monotonic.
/// </summary>
public sealed class ApiMetrics
{
    /// <summary>Status classes 1xx to 5xx.</summary>
    public const int StatusClasses = 5;

    internal static readonly int ForwarderErrorCount = Enum.GetValues<ForwarderError>().Length;
    internal static readonly int GatewayErrorCount = Enum.GetValues<GatewayError>().Length;

    /// <summary>Status codes 100 to 599 are counted exactly; anything else (Kestrel allows up to 999) counts as <see cref="OtherCode"/>.</summary>
    internal const int FirstCode = 100;

    internal const int CodeCount = 500;

    /// <summary>Canonical gRPC status codes 0 (OK) to 16 (Unauthenticated), as in the <c>grpc-status</c> trailer.</summary>
    internal const int GrpcStatusCount = 17;

    private readonly long[] _grpcStatuses = new long[GrpcStatusCount];
    private long[]? _codes;
    private long _otherCode;
    private readonly long[] _upstreamErrors = new long[ForwarderErrorCount];
    private readonly long[] _gatewayErrors = new long[GatewayErrorCount];
    private long _inFlight;
    private long _requestBytes;
    private long _responseBytes;
    private long _retries;
    private long _rateLimited;
    private long _breakerRejected;

    internal ApiMetrics(string service, string api)
    {
        Service = service;
        Api = api;
    }

    /// <summary>Label value: the service name as configured (lower-cased), empty for unmatched traffic.</summary>
    public string Service { get; }

    /// <summary>Label value: the API id, empty for unmatched traffic. Never a raw path.</summary>
    public string Api { get; }

    /// <summary>Whole request time in the gateway, from the handler's entry to the end of the response.</summary>
    internal LatencyHistogram Duration { get; } = new();

    /// <summary>Each upstream attempt, from the send to the end of the relayed response.</summary>
    internal LatencyHistogram UpstreamDuration { get; } = new();

    internal long InFlight => Volatile.Read(ref _inFlight);

    internal long RequestBytes => Volatile.Read(ref _requestBytes);

    internal long ResponseBytes => Volatile.Read(ref _responseBytes);

    internal long Retries => Volatile.Read(ref _retries);

    internal long RateLimited => Volatile.Read(ref _rateLimited);

    internal long BreakerRejected => Volatile.Read(ref _breakerRejected);

    /// <summary>Requests answered in the status class (0 = 1xx … 4 = 5xx): the sum of its exact codes, read at scrape time.</summary>
    internal long Requests(int statusClass)
    {
        long total = statusClass == 4 ? Volatile.Read(ref _otherCode) : 0;
        var codes = Volatile.Read(ref _codes);
        if (codes is not null)
        {
            var first = statusClass * 100;
            for (var i = first; i < first + 100; i++)
            {
                total += Volatile.Read(ref codes[i]);
            }
        }

        return total;
    }

    /// <summary>Requests answered with <paramref name="code"/> (100..599).</summary>
    internal long RequestsWithCode(int code)
    {
        var codes = Volatile.Read(ref _codes);
        return codes is null || code < FirstCode || code >= FirstCode + CodeCount ? 0 : Volatile.Read(ref codes[code - FirstCode]);
    }

    /// <summary>Whether any request with a status in 100..599 was counted (the scrape skips the code scan otherwise).</summary>
    internal bool HasCodes => Volatile.Read(ref _codes) is not null;

    /// <summary>Requests answered with a status outside 100..599 (counted in 5xx).</summary>
    internal long RequestsWithOtherCode => Volatile.Read(ref _otherCode);

    /// <summary>gRPC calls that ended with <paramref name="status"/> (0..16).</summary>
    internal long GrpcStatuses(int status) => Volatile.Read(ref _grpcStatuses[status]);

    internal long UpstreamErrors(ForwarderError error) => Volatile.Read(ref _upstreamErrors[(int)error]);

    internal long GatewayErrors(int error) => Volatile.Read(ref _gatewayErrors[error]);

    /// <summary>Index 0..4 of the status class; codes outside 100..599 count as 5xx (the gateway failed to answer well).</summary>
    public static int StatusClassIndex(int status) => status is >= 100 and < 600 ? (status / 100) - 1 : 4;

    internal void EnterRequest() => Interlocked.Increment(ref _inFlight);

    /// <summary>Counts one finished request; <paramref name="entered"/> says whether <see cref="EnterRequest"/> ran.</summary>
    internal void CompleteRequest(int status, long elapsedTicks, bool entered)
    {
        var index = status - FirstCode;
        if ((uint)index < CodeCount)
        {
            // One array per API, made on its first request: an API that never sees traffic costs nothing, and the
            // exact code costs one interlocked add, as the status class did (classes are summed at scrape time).
            var codes = Volatile.Read(ref _codes) ?? CreateCodes();
            Interlocked.Increment(ref codes[index]);
        }
        else
        {
            Interlocked.Increment(ref _otherCode);
        }

        Duration.Record(elapsedTicks);
        if (entered)
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Counts one gRPC call by its final <c>grpc-status</c>; a value outside 0..16 counts as 2 (UNKNOWN), as gRPC clients read it.</summary>
    internal void RecordGrpcStatus(int status)
    {
        Interlocked.Increment(ref _grpcStatuses[(uint)status < GrpcStatusCount ? status : 2]);
    }

    private long[] CreateCodes()
    {
        // Two first requests racing: one array wins, the other is dropped before anything counted into it.
        return Interlocked.CompareExchange(ref _codes, new long[CodeCount], null) ?? Volatile.Read(ref _codes)!;
    }

    internal void AddRequestBytes(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _requestBytes, bytes);
        }
    }

    internal void AddResponseBytes(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _responseBytes, bytes);
        }
    }

    internal void RecordUpstreamError(ForwarderError error)
    {
        if (error != ForwarderError.None)
        {
            Interlocked.Increment(ref _upstreamErrors[(int)error]);
        }
    }

    /// <summary>Counts an error the gateway answered itself (every <see cref="ProblemWriter"/> response).</summary>
    internal void RecordGatewayError(GatewayError error)
    {
        var index = (int)error;
        if ((uint)index < (uint)_gatewayErrors.Length)
        {
            Interlocked.Increment(ref _gatewayErrors[index]);
        }

        if (error == GatewayError.RateLimited)
        {
            Interlocked.Increment(ref _rateLimited);
        }
    }

    /// <summary>Counts a retry of this API's request on another node; call once per extra attempt.</summary>
    public void RecordRetry() => Interlocked.Increment(ref _retries);

    /// <summary>
    /// Counts a request the circuit breaker refused (<c>circuit_open</c>). The breaker calls this beside writing its
    /// problem response; the response is also counted by code in <c>gatehouse_gateway_errors_total</c>.
    /// </summary>
    public void RecordBreakerRejection() => Interlocked.Increment(ref _breakerRejected);
}

/// <summary>Counters of one upstream node; lives on <see cref="Model.NodeState"/> so it survives config reloads.</summary>
public sealed class NodeMetrics
{
    private long _requests;
    private long _failures;

    internal long Requests => Volatile.Read(ref _requests);

    internal long Failures => Volatile.Read(ref _failures);

    /// <summary>Counts one forwarding attempt to the node; a failure is any <see cref="ForwarderError"/> the node caused.</summary>
    internal void RecordAttempt(bool failed)
    {
        Interlocked.Increment(ref _requests);
        if (failed)
        {
            Interlocked.Increment(ref _failures);
        }
    }
}
