using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Filters;

public class LocalNonceStoreTests
{
    [Fact]
    public async Task SameNonceWithinTtl_Refused_AfterTtl_AcceptedAgain()
    {
        var time = new TestTimeProvider();
        using var store = new LocalNonceStore(time);

        Assert.Equal(NonceUse.Fresh, await store.TryUseAsync("app", "n1", TimeSpan.FromSeconds(10)));
        Assert.Equal(NonceUse.Replayed, await store.TryUseAsync("app", "n1", TimeSpan.FromSeconds(10)));
        Assert.Equal(NonceUse.Fresh, await store.TryUseAsync("other-app", "n1", TimeSpan.FromSeconds(10)));

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(NonceUse.Fresh, await store.TryUseAsync("app", "n1", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Full_SweepsExpired_ThenRefusesWhenStillFull()
    {
        var time = new TestTimeProvider();
        using var store = new LocalNonceStore(time, capacity: 2);
        Assert.Equal(NonceUse.Fresh, await store.TryUseAsync("a", "1", TimeSpan.FromSeconds(1)));
        Assert.Equal(NonceUse.Fresh, await store.TryUseAsync("a", "2", TimeSpan.FromSeconds(60)));

        Assert.Equal(NonceUse.Unavailable, await store.TryUseAsync("a", "3", TimeSpan.FromSeconds(60)));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(NonceUse.Fresh, await store.TryUseAsync("a", "3", TimeSpan.FromSeconds(60)));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public async Task ConcurrentUseOfOneNonce_ExactlyOneWins()
    {
        using var store = new LocalNonceStore(TimeProvider.System);
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => store.TryUseAsync("a", "same", TimeSpan.FromMinutes(1)).AsTask())));

        Assert.Equal(1, results.Count(r => r == NonceUse.Fresh));
    }
}
