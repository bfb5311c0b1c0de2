using Gatehouse.Gateway.ConfigSync;

namespace Gatehouse.Gateway.Tests.ConfigSync;

public sealed class CoalescingSignalTests
{
    [Fact]
    public async Task ManyRequests_WhileOneIsPending_WakeOnePass()
    {
        var signal = new CoalescingSignal();
        for (var i = 0; i < 5; i++)
        {
            signal.Request();
        }

        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None));
    }

    [Fact]
    public async Task NoRequest_WaitEndsAtTheTimeout_False()
    {
        Assert.False(await new CoalescingSignal().WaitAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None));
    }

    [Fact]
    public async Task RequestDuringAWait_WakesIt()
    {
        var signal = new CoalescingSignal();
        var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        signal.Request();
        Assert.True(await waiting);
    }

    [Fact]
    public async Task HugeTimeout_IsClamped_NotRejected()
    {
        var signal = new CoalescingSignal();
        signal.Request();
        Assert.True(await signal.WaitAsync(TimeSpan.MaxValue, CancellationToken.None));
    }
}
