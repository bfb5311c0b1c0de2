using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Gateway.Resilience;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Resilience;

public class AttemptOutcomeTests
{
    private static readonly CircuitBreakerPolicy Policy = CircuitBreakerPolicy.Default with { SlowCall = TimeSpan.FromMilliseconds(100) };

    private static CallOutcome Outcome(ForwarderError error, int status = 200, int elapsedMs = 1, int discarded = 0)
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = status;
        return GatewayRequestHandler.Outcome(context, new ForwardResult(error, null, false, discarded), Policy,
            TimeSpan.FromMilliseconds(elapsedMs));
    }

    [Theory]
    [InlineData(nameof(ForwarderError.ConnectFailed))]
    [InlineData(nameof(ForwarderError.ConnectTimeout))]
    [InlineData(nameof(ForwarderError.ResponseHeadersTimeout))]
    [InlineData(nameof(ForwarderError.UpstreamFailed))]
    [InlineData(nameof(ForwarderError.ResponseBodyUpstream))]
    [InlineData(nameof(ForwarderError.IdleTimeout))]
    [InlineData(nameof(ForwarderError.RequestTimeout))]
    public void Outcome_UpstreamFailures_Fail(string error) => Assert.Equal(CallOutcome.Failure, Outcome(Enum.Parse<ForwarderError>(error)));

    [Theory]
    [InlineData(nameof(ForwarderError.RequestCanceled))]
    [InlineData(nameof(ForwarderError.RequestBodyClient))]
    [InlineData(nameof(ForwarderError.ResponseBodyClient))]
    [InlineData(nameof(ForwarderError.RequestBodyMalformed))]
    [InlineData(nameof(ForwarderError.RequestNotSupported))]
    public void Outcome_ClientSideProblems_Ignored(string error)
        => Assert.Equal(CallOutcome.Ignored, Outcome(Enum.Parse<ForwarderError>(error), elapsedMs: 500));

    [Theory]
    [InlineData(200, nameof(CallOutcome.Success))]
    [InlineData(500, nameof(CallOutcome.Success))] // not in the default list
    [InlineData(502, nameof(CallOutcome.Failure))]
    [InlineData(503, nameof(CallOutcome.Failure))]
    [InlineData(504, nameof(CallOutcome.Failure))]
    public void Outcome_RelayedStatus_FailsWhenListed(int status, string expected)
        => Assert.Equal(Enum.Parse<CallOutcome>(expected), Outcome(ForwarderError.None, status));

    [Fact]
    public void Outcome_DiscardedStatus_Judged()
        => Assert.Equal(CallOutcome.Failure, Outcome(ForwarderError.RetryableStatus, discarded: 503));

    [Fact]
    public void Outcome_SlowCall_FlaggedAlongside()
    {
        Assert.Equal(CallOutcome.Slow, Outcome(ForwarderError.None, 200, elapsedMs: 100));
        Assert.Equal(CallOutcome.Failure | CallOutcome.Slow, Outcome(ForwarderError.ResponseHeadersTimeout, elapsedMs: 150));
    }

    [Theory]
    [InlineData(nameof(ForwarderError.ConnectFailed), false, true)]
    [InlineData(nameof(ForwarderError.ConnectTimeout), false, true)]
    [InlineData(nameof(ForwarderError.ConnectFailed), true, false)]
    [InlineData(nameof(ForwarderError.ResponseHeadersTimeout), false, false)] // off by default
    [InlineData(nameof(ForwarderError.UpstreamFailed), false, true)] // connection broke before headers, nothing of a body sent
    [InlineData(nameof(ForwarderError.UpstreamFailed), true, false)]
    [InlineData(nameof(ForwarderError.RetryableStatus), false, true)]
    public void IsRetried_DefaultPolicy(string error, bool bodyStarted, bool expected)
        => Assert.Equal(expected, GatewayRequestHandler.IsRetried(RetryPolicy.Default,
            new ForwardResult(Enum.Parse<ForwarderError>(error), null, bodyStarted), repeatable: true));

    /// <summary>
    /// A request not safe to repeat (POST, PATCH on an API not marked retryable) is retried only when the connection
    /// was never established: then nothing was written. Once the request head went out, the node may have acted on it.
    /// </summary>
    [Theory]
    [InlineData(nameof(ForwarderError.ConnectFailed), false, true)]
    [InlineData(nameof(ForwarderError.ConnectTimeout), false, true)]
    [InlineData(nameof(ForwarderError.ConnectFailed), true, false)]
    [InlineData(nameof(ForwarderError.UpstreamFailed), false, false)]
    [InlineData(nameof(ForwarderError.RequestBodyUpstream), true, false)]
    [InlineData(nameof(ForwarderError.RetryableStatus), false, false)]
    public void IsRetried_RequestNotSafeToRepeat_OnlyWhenTheConnectionWasNeverEstablished(string error, bool bodyStarted, bool expected)
    {
        var retry = RetryPolicy.Default with { OnResponseHeadersTimeout = true };

        Assert.Equal(expected, GatewayRequestHandler.IsRetried(retry,
            new ForwardResult(Enum.Parse<ForwarderError>(error), null, bodyStarted), repeatable: false));
        Assert.False(GatewayRequestHandler.IsRetried(retry, new ForwardResult(ForwarderError.ResponseHeadersTimeout, null, false), repeatable: false));
        Assert.False(GatewayRequestHandler.IsRetried(retry with { OnConnectFailure = false },
            new ForwardResult(ForwarderError.ConnectFailed, null, false), repeatable: false));
    }

    [Fact]
    public void IsRetried_ResponseHeadersTimeout_WhenEnabledAndNoBodySent()
    {
        var retry = RetryPolicy.Default with { OnResponseHeadersTimeout = true };

        Assert.True(GatewayRequestHandler.IsRetried(retry, new ForwardResult(ForwarderError.ResponseHeadersTimeout, null, false), repeatable: true));
        Assert.False(GatewayRequestHandler.IsRetried(retry, new ForwardResult(ForwarderError.ResponseHeadersTimeout, null, true), repeatable: true));
        Assert.False(GatewayRequestHandler.IsRetried(retry with { OnConnectFailure = false }, new ForwardResult(ForwarderError.ConnectFailed, null, false),
            repeatable: true));
    }
}
