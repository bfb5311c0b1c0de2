using Gatehouse.Dubbo.Client;
using Gatehouse.Dubbo.Protocol;

namespace Gatehouse.Dubbo.Tests.Client;

public sealed class DubboConnectionTests
{
    private static DubboInvocation Call(string method, object? argument = null)
        => new("com.example.Echo", "1.0.0", null, method, "Ljava/lang/Object;", [argument]);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task InvokeAsync_ResponsesOutOfOrder_EachCallGetsItsOwn()
    {
        // The provider answers the first call last: correlation is by request id, not by order.
        var first = new TaskCompletionSource();
        await using var provider = new FakeProvider(async exchange =>
        {
            if (exchange.Method == "slow")
            {
                await first.Task;
            }

            await exchange.ReplyAsync(1, exchange.FirstArgument);
        });
        await using var invoker = new DubboInvoker();

        var slow = invoker.InvokeAsync("127.0.0.1", provider.Port, Call("slow", "s"), Timeout);
        var fast = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => invoker.InvokeAsync("127.0.0.1", provider.Port, Call("fast", i), Timeout)));
        first.SetResult();

        Assert.Equal(Enumerable.Range(0, 20).Cast<object?>(), fast.Select(r => r.Value));
        Assert.Equal("s", (await slow).Value);
        Assert.Equal(1, provider.Connections);
    }

    [Fact]
    public async Task InvokeAsync_NoResponse_TimeoutAndConnectionStaysUsable()
    {
        await using var provider = new FakeProvider(exchange =>
            exchange.Method == "never" ? Task.CompletedTask : exchange.ReplyAsync(1, "ok"));
        await using var invoker = new DubboInvoker();

        await Assert.ThrowsAsync<DubboTimeoutException>(() =>
            invoker.InvokeAsync("127.0.0.1", provider.Port, Call("never"), TimeSpan.FromMilliseconds(200)));
        Assert.Equal("ok", (await invoker.InvokeAsync("127.0.0.1", provider.Port, Call("echo"), Timeout)).Value);
        var connection = await invoker.GetConnectionAsync("127.0.0.1", provider.Port, default);
        Assert.Equal(0, connection.PendingCount);
        Assert.Equal(1, provider.Connections);
    }

    [Fact]
    public async Task InvokeAsync_ErrorStatus_StatusException()
    {
        await using var provider = new FakeProvider(exchange => exchange.ReplyAsync(0, "no such service", DubboStatus.ServiceNotFound));
        await using var invoker = new DubboInvoker();

        var e = await Assert.ThrowsAsync<DubboStatusException>(() => invoker.InvokeAsync("127.0.0.1", provider.Port, Call("x"), Timeout));
        Assert.Equal(DubboStatus.ServiceNotFound, e.Status);
        Assert.Equal("no such service", e.ProviderMessage);
    }

    [Fact]
    public async Task InvokeAsync_ConnectionDroppedMidCall_LostThenReconnects()
    {
        var calls = 0;
        FakeProvider? self = null;
        await using var provider = self = new FakeProvider(exchange =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                self!.DropConnections();
                return Task.CompletedTask;
            }

            return exchange.ReplyAsync(1, "again");
        });
        await using var invoker = new DubboInvoker();

        await Assert.ThrowsAsync<DubboConnectionLostException>(() => invoker.InvokeAsync("127.0.0.1", provider.Port, Call("x"), Timeout));
        Assert.Equal("again", (await invoker.InvokeAsync("127.0.0.1", provider.Port, Call("x"), Timeout)).Value);
        Assert.Equal(2, provider.Connections);
    }

    [Fact]
    public async Task InvokeAsync_NobodyListening_ConnectException()
    {
        var port = Gatehouse.Testing.LoopbackPorts.Next();
        await using var invoker = new DubboInvoker();
        await Assert.ThrowsAsync<DubboConnectException>(() => invoker.InvokeAsync("127.0.0.1", port, Call("x"), Timeout));
    }

    [Fact]
    public async Task Connection_ProviderHeartbeat_Answered()
    {
        var answered = new TaskCompletionSource<DubboHeader>();
        FakeProvider? self = null;
        await using var provider = self = new FakeProvider(async exchange =>
        {
            if (exchange.Header.IsEvent && !exchange.Header.IsRequest)
            {
                answered.TrySetResult(exchange.Header);
                return;
            }

            // Before answering the call, the provider sends a heartbeat of its own.
            var heartbeat = new byte[DubboCodec.HeartbeatLength];
            DubboCodec.WriteHeartbeat(777, reply: false, heartbeat);
            await exchange.Send(heartbeat);
            await exchange.ReplyAsync(1, "ok");
        });
        await using var invoker = new DubboInvoker();

        Assert.Equal("ok", (await invoker.InvokeAsync("127.0.0.1", provider.Port, Call("x"), Timeout)).Value);
        var reply = await answered.Task.WaitAsync(Timeout);
        Assert.Equal(777, reply.RequestId);
        Assert.Equal((byte)DubboStatus.Ok, reply.Status);
    }

    [Fact]
    public async Task Connection_Idle_SendsHeartbeatsThenClosesWhenSilent()
    {
        // The provider answers calls but ignores heartbeats: after three silent intervals the connection closes.
        await using var provider = new FakeProvider(exchange =>
            exchange.Header.IsEvent ? Task.CompletedTask : exchange.ReplyAsync(1, "ok"));
        await using var invoker = new DubboInvoker(new DubboClientOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100) });

        await invoker.InvokeAsync("127.0.0.1", provider.Port, Call("x"), Timeout);
        var connection = await invoker.GetConnectionAsync("127.0.0.1", provider.Port, default);
        await Gatehouse.Testing.Eventually.WaitUntilAsync(() => connection.IsClosed, "the silent connection closes", TimeSpan.FromSeconds(10));
        lock (provider.Received)
        {
            Assert.Contains(provider.Received, h => h.IsEvent && h.IsRequest && h.IsTwoWay);
        }

        // The next call opens a new connection.
        Assert.Equal("ok", (await invoker.InvokeAsync("127.0.0.1", provider.Port, Call("x"), Timeout)).Value);
        Assert.Equal(2, provider.Connections);
    }
}
