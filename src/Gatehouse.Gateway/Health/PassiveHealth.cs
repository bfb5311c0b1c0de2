using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;

namespace Gatehouse.Gateway.Health;

/// <summary>
/// Passive health checks: every attempt's outcome feeds the node's counters (lock-free, in <see cref="NodeState"/>);
/// when a rule trips, the node is ejected and its service's routes are rebuilt right away, on the request's thread
/// (this happens once per ejection, not per request). <see cref="HealthCheckService"/> probes it back in after the
/// cool-down.
/// </summary>
internal static class PassiveHealth
{
    /// <summary>Records one attempt's outcome; <paramref name="status"/> is the node's status when it answered.</summary>
    public static void Record(SnapshotState state, TimeProvider time, NodeModel node, ForwarderError error, int status)
    {
        var policy = node.Health;
        var nodeState = node.State;
        switch (Classify(error, status, policy.CountServerErrors))
        {
            case Outcome.Success:
                nodeState.RecordSuccess(time.GetTimestamp(), policy.PassiveEnabled && policy.FailureRatio is not null);
                return;
            case Outcome.Failure:
                if (!policy.PassiveEnabled)
                {
                    return;
                }

                var inRow = nodeState.RecordFailure(policy.FailureRatio is not null);
                if (inRow >= policy.ConsecutiveFailures || RatioTripped(nodeState, policy))
                {
                    Eject(state, time, node);
                }

                return;
            default:
                return;
        }
    }

    /// <summary>Takes the node out of rotation for the policy's cool-down; a no-op when it is already out.</summary>
    public static void Eject(SnapshotState state, TimeProvider time, NodeModel node)
    {
        if (node.State.TryEject(time.GetTimestamp()))
        {
            NodeHealthUpdater.SetHealthy(state, node.State, node.ServiceName, healthy: false);
        }
    }

    internal static Outcome Classify(ForwarderError error, int status, bool countServerErrors) => error switch
    {
        ForwarderError.None or ForwarderError.RetryableStatus =>
            countServerErrors && status >= 500 ? Outcome.Failure : Outcome.Success,
        // The node is gone, refuses, resets or stays silent: its fault whatever the request.
        ForwarderError.ConnectFailed or ForwarderError.ConnectTimeout or ForwarderError.ResponseHeadersTimeout
            or ForwarderError.UpstreamFailed or ForwarderError.ResponseBodyUpstream or ForwarderError.RequestBodyUpstream
            => Outcome.Failure,
        // Client aborts, bad requests, the whole-request deadline and idle streams say nothing about the node.
        _ => Outcome.Ignored,
    };

    private static bool RatioTripped(NodeState nodeState, ServiceHealthPolicy policy)
    {
        if (policy.FailureRatio is not { } ratio)
        {
            return false;
        }

        var (requests, failures) = nodeState.Window;
        return requests >= policy.MinimumRequests && failures >= ratio * requests;
    }

    internal enum Outcome
    {
        Ignored,
        Success,
        Failure,
    }
}
