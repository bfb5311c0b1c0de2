using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Access;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resilience;

namespace Gatehouse.Gateway.Explain;

/// <summary>Steps 4 to 6 of an explanation: the API's compiled filters, timeouts, retries and breakers; all read, none run.</summary>
internal sealed partial class RouteExplainer
{
    /// <summary>
    /// The API's filter chain as it runs, each step with the policy members that configure it: the request phase in
    /// chain order (built-in mechanisms under their explanation names, plugins under theirs), then the response side
    /// (header and body phases of plugins, response sealing), last first.
    /// </summary>
    private static List<ExplainedFilter> DescribeFilters(ConfigSnapshot snapshot, ApiModel api)
    {
        var members = PolicyMembers(snapshot, api);
        var chain = api.Filters.Plugins;
        var filters = new List<ExplainedFilter>(chain.Count + 1);
        foreach (var filter in chain)
        {
            var (name, member) = filter.Instance switch
            {
                IpAccessFilter => ("ipAccess", "ipAccess"),
                BodyLimitFilter => ("bodyLimit", "limits.maxBodyBytes"),
                ClientCertificateFilter => ("clientCertificate", "auth"),
                SignatureFilter => ("signature", "auth"),
                JwtFilter => ("jwt", "auth"),
                LoginFilter => ("login", "auth"),
                RemoveHeaderFilter => ("removeUserIdHeader", "auth"),
                RateLimitFilter => ("rateLimit", "rateLimit"),
                PayloadEncryptionFilter => ("decrypt", "encryption"),
                _ => (filter.Name, "filters"),
            };
            if ((filter.Phases & Gatehouse.Plugins.PluginPhases.Request) != 0 || filter.Instance is BuiltInFilter)
            {
                filters.Add(new ExplainedFilter(name, "inbound", Select(members, member)));
            }
        }

        for (var i = chain.Count - 1; i >= 0; i--)
        {
            var filter = chain[i];
            var outbound = filter.Instance is BuiltInFilter ? Gatehouse.Plugins.PluginPhases.ResponseBody
                : Gatehouse.Plugins.PluginPhases.Response | Gatehouse.Plugins.PluginPhases.ResponseBody;
            if ((filter.Phases & outbound) != 0)
            {
                filters.Add(filter.Instance is PayloadEncryptionFilter
                    ? new ExplainedFilter("encryptResponse", "outbound", Select(members, "encryption"))
                    : new ExplainedFilter(filter.Name, "outbound", Select(members, "filters")));
            }
        }

        return filters;
    }

    private static IReadOnlyList<EffectivePolicyMember> PolicyMembers(ConfigSnapshot snapshot, ApiModel api)
    {
        foreach (var service in snapshot.Config.Services)
        {
            if (!string.Equals(service.Name, api.ServiceName, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var candidate in service.Apis)
            {
                if (string.Equals(candidate.Id, api.Id, StringComparison.Ordinal))
                {
                    return EffectivePolicyView.Build(snapshot.Config.Global, service.Policy, candidate.Policy);
                }
            }
        }

        return [];
    }

    private static EffectivePolicyMember[] Select(IReadOnlyList<EffectivePolicyMember> members, string prefix) =>
        prefix.Length == 0
            ? []
            : members.Where(m => (m.Member == prefix || m.Member.StartsWith(prefix + ".", StringComparison.Ordinal))
                && (m.Value is not null || m.Levels is { Count: > 0 })).ToArray();

    private static ExplainedTimeouts DescribeTimeouts(EffectivePolicy policy) => new(
        policy.ConnectTimeout.TotalMilliseconds,
        policy.ResponseHeadersTimeout.TotalMilliseconds,
        policy.IdleTimeout.TotalMilliseconds,
        policy.RequestTimeout == Timeout.InfiniteTimeSpan ? null : policy.RequestTimeout.TotalMilliseconds);

    /// <summary>The retry rules, and whether this request could be retried at all (the same test the attempt loop makes).</summary>
    private static ExplainedRetry DescribeRetry(ApiModel api, string method)
    {
        var resilience = api.Resilience;
        var retry = resilience.Retry;
        var idempotent = RequestLimits.IsIdempotent(method);
        var mayRetry = resilience.Budget is not null && (retry.Retryable || idempotent);
        var detail = resilience.Budget is null
            ? "The API makes one attempt (maxAttempts 1): no retry."
            : mayRetry
                ? $"Up to {retry.MaxAttempts} attempts, each on a node not tried yet, within the service's retry budget ({retry.BudgetPercent:0.##} % of requests, at least {retry.MinRetriesPerSecond}/s)."
                : $"{method} is not idempotent and the API is not marked retryable: only an attempt whose connection could not be made is retried, never one that sent anything.";
        return new ExplainedRetry(retry.MaxAttempts, mayRetry, detail, retry.OnConnectFailure, retry.OnResponseHeadersTimeout,
            retry.OnStatuses.ToArray(), retry.Retryable, retry.BudgetPercent, retry.MinRetriesPerSecond);
    }

    /// <summary>The breaker policy and the state each breaker is in now (read, never acquired).</summary>
    private static ExplainedBreaker? DescribeBreaker(ApiModel api, ServiceModel service)
    {
        if (api.Policy.CircuitBreaker is not { } policy)
        {
            return null;
        }

        var states = new List<BreakerStateView>();
        var resilience = api.Resilience;
        foreach (var node in service.Nodes)
        {
            if (resilience.BreakerFor(node) is not { } breaker)
            {
                continue;
            }

            if (!resilience.PerNode)
            {
                states.Add(new BreakerStateView(null, State(breaker.State)));
                break;
            }

            states.Add(new BreakerStateView(node.Id, State(breaker.State)));
        }

        return new ExplainedBreaker(policy.Scope == CircuitBreakerScope.ApiNode ? "apiNode" : "api", policy.FailureRatio, policy.SlowCallRatio,
            policy.SlowCall.TotalMilliseconds, policy.MinimumThroughput, policy.Window.TotalMilliseconds, policy.OpenDuration.TotalMilliseconds,
            policy.HalfOpenProbes, policy.FailureStatuses.ToArray(), states);
    }

    private static string State(CircuitState state) => state switch
    {
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "halfOpen",
        _ => "closed",
    };
}
