using System.Globalization;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Resilience;
using Gatehouse.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>Step 6: attempts at nodes, guarded by circuit breakers, retried within the service's budget.</summary>
internal sealed partial class GatewayRequestHandler
{
    /// <remarks>
    /// Each attempt asks the node's breaker first (an API-wide breaker that is open ends the request with 503
    /// <c>circuit_open</c>; a per-node one only takes that node out), and reports its outcome to it. A failed
    /// attempt is retried on a node not tried yet when attempts remain, the failure is one the policy retries
    /// (<see cref="IsRetried"/>: a connection that could not be established whatever the method, any other failure
    /// only for a method safe to repeat or an API marked retryable), nothing of the request body went out, and the
    /// service's retry budget admits it. The whole-request timeout spans every attempt.
    /// </remarks>
    private async Task ForwardAsync(HttpContext context, ApiModel api, NodeSet nodes, NodeModel node, PathString upstreamPath,
        Explain.DebugRoute? trace)
    {
        var resilience = api.Resilience;
        var retry = resilience.Retry;
        var budget = resilience.Budget;
        budget?.RecordRequest();

        // A budget exists when maxAttempts allows retries at all. Whether the request may be repeated once it has
        // reached a node is the method's (or the API's) business; a connect that failed sent nothing, so it may be
        // retried whatever the method.
        var repeatable = retry.Retryable || RequestLimits.IsIdempotent(context.Request.Method);

        // Only APIs with timeouts.requestMs, and gRPC calls with a grpc-timeout, pay for a timer. A gRPC call's
        // deadline is the shorter of the two; when it passes the client is told DEADLINE_EXCEEDED (GrpcErrors).
        var requestTimeout = resilience.RequestTimeout;
        if (GrpcStatus.IsGrpcRequest(context.Request.ContentType))
        {
            requestTimeout = Grpc.GrpcTimeout.Bound(requestTimeout, context.Request.Headers[Grpc.GrpcTimeout.HeaderName]);
        }

        using var deadline = requestTimeout == Timeout.InfiniteTimeSpan
            ? null
            : new CancellationTokenSource(requestTimeout, _time);
        var tried = new TriedNodes();
        var attempts = 0;
        var current = node;
        ForwardResult result;
        while (true)
        {
            if (deadline is { IsCancellationRequested: true })
            {
                result = new ForwardResult(ForwarderError.RequestTimeout, null, false);
                break;
            }

            var breaker = resilience.BreakerFor(current);
            if (breaker is not null && !breaker.TryAcquire(out var openFor))
            {
                tried.Add(current);
                var other = resilience.PerNode ? PickUntried(nodes, current, ref tried) : null;
                if (other is null)
                {
                    await WriteCircuitOpenAsync(context, api, openFor);
                    return;
                }

                current = other;
                continue;
            }

            attempts++;
            trace?.Attempt(current);
            tried.Add(current);
            var options = api.ForwardOptions;
            NodeModel? next = null;
            if (repeatable && budget is not null && attempts < retry.MaxAttempts && !retry.OnStatuses.IsEmpty && budget.CanRetry())
            {
                // A status is only dropped unrelayed when the retry is settled beforehand: a node to go to and budget.
                next = PickUntried(nodes, current, ref tried);
                if (next is not null)
                {
                    options = options with { DiscardStatuses = retry.OnStatuses };
                }
            }

            var started = breaker is null ? 0 : _time.GetTimestamp();

            // The attempt is inlined here rather than awaited as a method of its own: every request completes it
            // asynchronously, so a separate async method cost a state-machine box (about 240 bytes) per request.
            try
            {
                var attempt = _observer.BeginAttempt(context, current);
                result = new ForwardResult(ForwarderError.UpstreamFailed, null, false);
                current.State.Enter();
                try
                {
                    // The forwarding stage: a Dubbo or Tars API calls its server, a transcoded API its gRPC node,
                    // everything else is forwarded over HTTP.
                    result = api.Dubbo is { } dubbo
                        ? await _dubbo.ForwardAsync(context, current, upstreamPath, dubbo, options, deadline?.Token ?? default)
                        : api.Tars is { } tars
                        ? await _tars.ForwardAsync(context, current, upstreamPath, tars, options, deadline?.Token ?? default)
                        : api.Transcoding is { } transcoding
                        ? await _transcoder.ForwardAsync(context, current, upstreamPath, transcoding, api.Invoker, options, deadline?.Token ?? default)
                        : await _forwarder.ForwardAsync(context, current, upstreamPath, options, api.Invoker, deadline?.Token ?? default);
                }
                finally
                {
                    EndAttempt(context, api, current, attempt, result);
                }
            }
            catch when (breaker is not null)
            {
                // The forwarder reports failures as values; should it throw, the permit must still go back, or a
                // half-open breaker would wait forever for this probe.
                breaker.Record(CallOutcome.Ignored);
                throw;
            }

            breaker?.Record(Outcome(context, result, breaker.Policy, _time.GetElapsedTime(started)));
            if (result.Error == ForwarderError.None)
            {
                return;
            }

            if (budget is null || attempts >= retry.MaxAttempts || !IsRetried(retry, result, repeatable))
            {
                break;
            }

            if (result.Error == ForwarderError.RetryableStatus)
            {
                budget.Withdraw();
            }
            else if ((next ??= PickUntried(nodes, current, ref tried)) is null || !budget.TryWithdraw())
            {
                break;
            }

            Log.RetryingOnAnotherNode(_logger, current.Id, result.Error, next!.Id, api.ServiceName);
            api.Metrics.RecordRetry();
            current = next;
        }

        await ReportAsync(context, result);
    }

    /// <summary>After each attempt, however it ended: the node's in-flight count, metrics and span, passive health.</summary>
    private void EndAttempt(HttpContext context, ApiModel api, NodeModel node, in AttemptScope attempt, in ForwardResult result)
    {
        node.State.Leave();
        _observer.EndAttempt(context, attempt, api, node, result.Error);
        Health.PassiveHealth.Record(_state, _time, node, result.Error,
            result.Error == ForwarderError.RetryableStatus ? result.DiscardedStatus : context.Response.StatusCode);
    }

    /// <summary>Failures a retry is allowed for; none of them leaves part of the request body at a node.</summary>
    /// <param name="retry">The API's retry rules.</param>
    /// <param name="result">The failed attempt.</param>
    /// <param name="repeatable">The request is safe to repeat: an idempotent method, or an API marked retryable.</param>
    internal static bool IsRetried(RetryPolicy retry, in ForwardResult result, bool repeatable) => result.Error switch
    {
        // The connection was never established (refused, unreachable, name resolution, TLS handshake, connect
        // timeout): not a byte of the request was written, so the node cannot have acted on it, whatever the method.
        // A node killed with kill -9 refuses connections until it is ejected; without this its POSTs failed.
        ForwarderError.ConnectFailed or ForwarderError.ConnectTimeout => retry.OnConnectFailure && !result.RequestBodyStarted,
        // The connection broke before response headers (a node killed with requests in flight, a pooled connection the
        // node had dropped): the request head was written, and the node may have acted on it. Like nginx's
        // proxy_next_upstream "error": retried only for requests safe to repeat, and never once a request body went out.
        ForwarderError.UpstreamFailed => repeatable && retry.OnConnectFailure && !result.RequestBodyStarted,
        ForwarderError.ResponseHeadersTimeout => repeatable && retry.OnResponseHeadersTimeout && !result.RequestBodyStarted,

        // Only asked for (DiscardStatuses) on requests safe to repeat.
        ForwarderError.RetryableStatus => repeatable,
        _ => false,
    };

    /// <summary>What an attempt tells the breaker: upstream failures and failure statuses fail; client-side problems say nothing.</summary>
    internal static CallOutcome Outcome(HttpContext context, in ForwardResult result, CircuitBreakerPolicy policy, TimeSpan elapsed)
    {
        CallOutcome outcome;
        switch (result.Error)
        {
            case ForwarderError.None:
                outcome = policy.FailureStatuses.Contains(context.Response.StatusCode) ? CallOutcome.Failure : CallOutcome.Success;
                break;
            case ForwarderError.RetryableStatus:
                outcome = policy.FailureStatuses.Contains(result.DiscardedStatus) ? CallOutcome.Failure : CallOutcome.Success;
                break;
            case ForwarderError.ConnectFailed or ForwarderError.ConnectTimeout or ForwarderError.ResponseHeadersTimeout
                or ForwarderError.UpstreamFailed or ForwarderError.RequestBodyUpstream or ForwarderError.ResponseBodyUpstream
                or ForwarderError.IdleTimeout or ForwarderError.UpgradeFailed or ForwarderError.RequestTimeout:
                outcome = CallOutcome.Failure;
                break;
            default:
                return CallOutcome.Ignored;
        }

        return elapsed >= policy.SlowCall ? outcome | CallOutcome.Slow : outcome;
    }

    /// <summary>
    /// The next node of the routed set after <paramref name="last"/>, in order and wrapping around, that has not
    /// been tried and has weight; null when none is left.
    /// </summary>
    /// <remarks>
    /// Not the balancer: a round-robin pick for the retry would take the next request's turn, so that with one
    /// failing node every first attempt would land on it.
    /// </remarks>
    private static NodeModel? PickUntried(NodeSet nodes, NodeModel last, ref TriedNodes tried)
    {
        var candidates = nodes.Nodes;
        var start = Array.IndexOf(candidates, last) + 1;
        for (var i = 0; i < candidates.Length; i++)
        {
            var candidate = candidates[(start + i) % candidates.Length];
            if (candidate.Weight > 0 && !tried.Contains(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static Task WriteCircuitOpenAsync(HttpContext context, ApiModel api, TimeSpan openFor)
    {
        api.Metrics.RecordBreakerRejection();
        // Whole seconds, rounded up (RFC 9110 §10.2.3).
        var seconds = Math.Max(1, (long)Math.Ceiling(openFor.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ProblemWriter.WriteAsync(context, GatewayError.CircuitOpen,
            $"The circuit breaker of '{api}' is open; retry after {seconds} s.", [new("Retry-After", seconds)]);
    }

    private static Task ReportAsync(HttpContext context, in ForwardResult result)
    {
        // The forwarder has logged the failure; client-side failures have nobody listening for a body.
        var error = ForwarderErrorMapping.ToGatewayError(result.Error);
        return error is null || context.Response.HasStarted
            ? Task.CompletedTask
            : ProblemWriter.WriteAsync(context, error.Value);
    }

    /// <summary>Nodes already tried by one request; no allocation until a third node is involved.</summary>
    private struct TriedNodes
    {
        private NodeModel? _first;
        private NodeModel? _second;
        private List<NodeModel>? _more;

        public void Add(NodeModel node)
        {
            if (Contains(node))
            {
                return;
            }

            if (_first is null)
            {
                _first = node;
            }
            else if (_second is null)
            {
                _second = node;
            }
            else
            {
                (_more ??= new List<NodeModel>(4)).Add(node);
            }
        }

        public readonly bool Contains(NodeModel node)
            => ReferenceEquals(node, _first) || ReferenceEquals(node, _second) || (_more?.Contains(node) ?? false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Attempt at node {Node} failed ({Error}); retrying on {Other} ({Service})")]
        public static partial void RetryingOnAnotherNode(ILogger logger, string node, ForwarderError error, string other, string service);
    }
}
