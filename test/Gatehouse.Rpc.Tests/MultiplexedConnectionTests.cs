using Gatehouse.Testing;

namespace Gatehouse.Rpc.Tests;

/// <summary>The shared connection layer of the RPC clients, with a minimal protocol over a real loopback socket.</summary>
public sealed class MultiplexedConnectionTests : IAsyncLifetime
{
    private LoopbackPair _pair = null!;
    private TestConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _pair = await LoopbackPair.OpenAsync();
        _connection = new TestConnection(_pair.Client);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _pair.DisposeAsync();
    }

    /// <summary>The server reads the next request and answers it with <paramref name="answer"/>.</summary>
    private async Task AnswerNextAsync(string answer)
    {
        var (id, _) = await TestConnection.ReadFrameFromAsync(_pair.Server);
        await _pair.Server.WriteAsync(TestConnection.Frame(id, answer));
    }

    [Fact]
    public async Task SendAsync_ResponsesOutOfOrder_EachCallGetsItsOwn()
    {
        var calls = new[] { _connection.CallAsync("a"), _connection.CallAsync("b"), _connection.CallAsync("c") };
        var requests = new List<(int Id, string Text)>();
        for (var i = 0; i < calls.Length; i++)
        {
            requests.Add(await TestConnection.ReadFrameFromAsync(_pair.Server));
        }

        Assert.Equal(3, _connection.PendingCount);
        // Answered last to first, each answer naming the request it answers: each call completes when its own arrives.
        var byText = new Dictionary<string, Task<string>> { ["a"] = calls[0], ["b"] = calls[1], ["c"] = calls[2] };
        for (var i = requests.Count - 1; i >= 0; i--)
        {
            await _pair.Server.WriteAsync(TestConnection.Frame(requests[i].Id, "re:" + requests[i].Text));
            Assert.Equal("re:" + requests[i].Text, await byText[requests[i].Text]);
            Assert.Equal(i, _connection.PendingCount);
        }

        Assert.Equal(["re:a", "re:b", "re:c"], await Task.WhenAll(calls));
        Assert.Equal(0, _connection.PendingCount);
        Assert.False(_connection.IsClosed);
    }

    [Fact]
    public async Task ReadLoop_EventsAndUnknownIds_CompleteNoCall()
    {
        var call = _connection.CallAsync("x");
        var (id, _) = await TestConnection.ReadFrameFromAsync(_pair.Server);

        await _pair.Server.WriteAsync(TestConnection.Frame(0, "event"));
        await _pair.Server.WriteAsync(TestConnection.Frame(id + 1000, "stray"));
        await _pair.Server.WriteAsync(TestConnection.Frame(id, "answer"));

        Assert.Equal("answer", await call);
        Assert.Equal(1, _connection.EventsRead);
        Assert.False(_connection.IsClosed);
    }

    [Fact]
    public async Task SendAsync_ErrorAnswer_ThatCallFailsConnectionStaysOpen()
    {
        var failing = _connection.CallAsync("a");
        await AnswerNextAsync("error:no such order");

        var e = await Assert.ThrowsAsync<TestServerErrorException>(() => failing);
        Assert.Equal("no such order", e.Message);

        var next = _connection.CallAsync("b");
        await AnswerNextAsync("fine");
        Assert.Equal("fine", await next);
        Assert.False(_connection.IsClosed);
    }

    [Fact]
    public async Task Close_ServerGoes_EveryPendingCallFailsWithConnectionLost()
    {
        var calls = new[] { _connection.CallAsync("a"), _connection.CallAsync("b") };
        await TestConnection.ReadFrameFromAsync(_pair.Server);
        await TestConnection.ReadFrameFromAsync(_pair.Server);

        _pair.Server.Socket.Close();

        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAsync<TestConnectionLostException>(() => call);
            Assert.Contains("connection to test:1 closed", e.Message);
        }

        Assert.True(_connection.IsClosed);
        Assert.NotNull(await _connection.Closed.Task);
        Assert.Equal(0, _connection.PendingCount);
    }

    [Fact]
    public async Task Close_Disposed_PendingCallsFailAndOnClosedSeesNoFailure()
    {
        var call = _connection.CallAsync("a");
        await TestConnection.ReadFrameFromAsync(_pair.Server);

        await _connection.DisposeAsync();

        await Assert.ThrowsAsync<TestConnectionLostException>(() => call);
        Assert.Null(await _connection.Closed.Task);
        // A closed connection takes no call: it fails at once, nothing is written.
        await Assert.ThrowsAsync<TestConnectionLostException>(() => _connection.CallAsync("late"));
    }

    [Fact]
    public async Task WriteFrame_WriteFails_CallFailsConnectionClosesAndOthersFail()
    {
        var waiting = _connection.CallAsync("first");
        await TestConnection.ReadFrameFromAsync(_pair.Server);
        _pair.Client.FailWrites = true;

        var e = await Assert.ThrowsAsync<TestConnectionLostException>(() => _connection.CallAsync("second"));

        Assert.Contains("writing to test:1 failed: broken pipe", e.Message);
        Assert.IsType<IOException>(e.InnerException);
        Assert.True(_connection.IsClosed);
        Assert.IsType<IOException>(await _connection.Closed.Task);
        await Assert.ThrowsAsync<TestConnectionLostException>(() => waiting);
        Assert.Equal(0, _connection.PendingCount);
    }

    [Fact]
    public async Task SendAsync_NoAnswerInTime_ProtocolTimeoutAndConnectionStaysOpen()
    {
        var e = await Assert.ThrowsAsync<TestTimeoutException>(() => _connection.CallAsync("slow", TimeSpan.FromMilliseconds(100)));
        Assert.Equal("no answer to slow", e.Message);
        Assert.Equal(0, _connection.PendingCount);

        var (slowId, _) = await TestConnection.ReadFrameFromAsync(_pair.Server);
        var next = _connection.CallAsync("next");
        var (nextId, _) = await TestConnection.ReadFrameFromAsync(_pair.Server);
        // The late answer to the timed-out call is dropped; the next call gets its own.
        await _pair.Server.WriteAsync(TestConnection.Frame(slowId, "late"));
        await _pair.Server.WriteAsync(TestConnection.Frame(nextId, "on time"));
        Assert.Equal("on time", await next);
        Assert.False(_connection.IsClosed);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_OnlyThatCallEnds()
    {
        using var cancel = new CancellationTokenSource();
        var call = _connection.CallAsync("a", cancellationToken: cancel.Token);
        await TestConnection.ReadFrameFromAsync(_pair.Server);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.False(_connection.IsClosed);
        Assert.Equal(0, _connection.PendingCount);
    }

    [Fact]
    public async Task WriteFrame_ConcurrentCalls_FramesNeverInterleave()
    {
        // Frames larger than a socket buffer, written from many calls at once: the server must read each one whole.
        var text = new string('x', 300_000);
        var calls = Enumerable.Range(0, 16).Select(i => Task.Run(() => _connection.CallAsync($"{i}:{text}"))).ToArray();
        var seen = new HashSet<string>();
        for (var i = 0; i < calls.Length; i++)
        {
            var (id, body) = await TestConnection.ReadFrameFromAsync(_pair.Server);
            var prefix = body[..body.IndexOf(':')];
            Assert.Equal(text, body[(prefix.Length + 1)..]);
            Assert.True(seen.Add(prefix));
            await _pair.Server.WriteAsync(TestConnection.Frame(id, prefix));
        }

        var answers = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), answers);
    }

    [Fact]
    public async Task ReadLoop_ServerClosesWhileIdle_ConnectionReportsClosed()
    {
        _pair.Server.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        await Eventually.WaitUntilAsync(() => _connection.IsClosed, "the connection notices the server went", TimeSpan.FromSeconds(10));
        Assert.IsType<EndOfStreamException>(await _connection.Closed.Task);
    }
}
