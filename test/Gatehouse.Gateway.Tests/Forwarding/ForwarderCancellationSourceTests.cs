using Gatehouse.Gateway.Forwarding;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class ForwarderCancellationSourceTests
{
    [Fact]
    public void ClientAbort_RecordedAsClient()
    {
        using var client = new CancellationTokenSource();
        var source = ForwarderCancellationSource.Rent(client.Token);

        client.Cancel();

        Assert.True(source.IsCancellationRequested);
        Assert.True(source.CanceledByClient);
        Assert.False(source.TimedOut);
        source.Return();
    }

    [Fact]
    public async Task ActivityTimeout_RecordedAsTimeoutAndKeptWhenTheForwarderCancelsAfterwards()
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Token.Register(() => fired.TrySetResult());

        source.SetActivityTimeout(TimeSpan.FromMilliseconds(20));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        source.CancelByForwarder();

        Assert.True(source.TimedOut);
        Assert.False(source.CanceledByForwarder);
        source.Return();
    }

    [Fact]
    public void CancelByForwarder_NotATimeout()
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);

        source.CancelByForwarder();

        Assert.True(source.CanceledByForwarder);
        Assert.False(source.TimedOut);
        source.Return();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void SetActivityTimeout_ZeroOrInfinite_NeverFires(int milliseconds)
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);

        source.SetActivityTimeout(TimeSpan.FromMilliseconds(milliseconds));
        source.ResetTimeout();

        Assert.False(source.IsCancellationRequested);
        source.Return();
    }

    [Fact]
    public void Return_UnusedSource_ReusableWithCleanState()
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);
        source.SetActivityTimeout(TimeSpan.FromMinutes(5));
        source.Return();

        using var client = new CancellationTokenSource();
        var next = ForwarderCancellationSource.Rent(client.Token);

        Assert.False(next.IsCancellationRequested);
        Assert.False(next.CanceledByClient || next.CanceledByForwarder || next.TimedOut);
        client.Cancel();
        Assert.True(next.CanceledByClient);
        next.Return();
    }
}
