using System.IO.Pipelines;
using Gatehouse.Gateway.Forwarding;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class StreamCopierTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task CopyAsync_ToStream_CopiesEverythingInSmallReads()
    {
        var data = Data(300_000);
        var output = new MemoryStream();
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);

        var outcome = await StreamCopier.CopyAsync(new TrickleStream(data, 1000), output, activity, false, activity.Token);

        Assert.Equal(StreamCopyResult.Success, outcome.Result);
        Assert.Equal(data.Length, outcome.Bytes);
        Assert.Equal(data, output.ToArray());
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_ToPipe_CopiesEverythingAndFlushes()
    {
        var data = Data(500_000);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);

        var outcome = await StreamCopier.CopyAsync(new MemoryStream(data), pipe.Writer, activity, false, activity.Token);
        pipe.Writer.Complete();
        var copied = new MemoryStream();
        await pipe.Reader.CopyToAsync(copied);

        Assert.Equal(StreamCopyResult.Success, outcome.Result);
        Assert.Equal(data, copied.ToArray());
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_EmptyInputToPipe_NothingFlushed()
    {
        // A flush would start the client response: its headers would go alone, without END_STREAM, and a gRPC
        // trailers-only response would stop being one.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);

        var outcome = await StreamCopier.CopyAsync(new MemoryStream(), pipe.Writer, activity, flushBeforeFirstWait: true, activity.Token);

        Assert.Equal(StreamCopyResult.Success, outcome.Result);
        Assert.Equal(0, outcome.Bytes);
        Assert.False(pipe.Reader.TryRead(out _));
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_InputThrows_InputError()
    {
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);

        var outcome = await StreamCopier.CopyAsync(new FailingStream(), new MemoryStream(), activity, false, activity.Token);

        Assert.Equal(StreamCopyResult.InputError, outcome.Result);
        Assert.IsType<IOException>(outcome.Error);
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_OutputThrows_OutputError()
    {
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);

        var outcome = await StreamCopier.CopyAsync(new MemoryStream(Data(10)), new FailingStream(), activity, false, activity.Token);

        Assert.Equal(StreamCopyResult.OutputError, outcome.Result);
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_ClientAbortsWhileWaiting_Canceled()
    {
        using var client = new CancellationTokenSource();
        var activity = ForwarderCancellationSource.Rent(client.Token);
        var input = new GatedStream();

        var copy = StreamCopier.CopyAsync(input, new MemoryStream(), activity, false, activity.Token).AsTask();
        client.Cancel();
        var outcome = await copy.WaitAsync(Wait);

        Assert.Equal(StreamCopyResult.Canceled, outcome.Result);
        Assert.True(activity.CanceledByClient);
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_NoInputWithinIdleTimeout_InputErrorAndTimedOut()
    {
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);
        activity.SetActivityTimeout(TimeSpan.FromMilliseconds(100));

        var outcome = await StreamCopier.CopyAsync(new GatedStream(), new MemoryStream(), activity, false, activity.Token)
            .AsTask().WaitAsync(Wait);

        Assert.Equal(StreamCopyResult.InputError, outcome.Result);
        Assert.True(activity.TimedOut);
        activity.Return();
    }

    [Fact]
    public async Task CopyAsync_InputPauses_OutputFlushedBeforeWaiting()
    {
        var input = new GatedStream();
        var output = new FlushCountingStream();
        var activity = ForwarderCancellationSource.Rent(CancellationToken.None);

        var copy = StreamCopier.CopyAsync(input, output, activity, flushBeforeFirstWait: true, activity.Token).AsTask();
        await output.Flushed(1).WaitAsync(Wait);
        input.Release([1, 2, 3]);
        await output.Flushed(2).WaitAsync(Wait);

        Assert.Equal([1, 2, 3], output.ToArray());
        input.Release([]);
        Assert.Equal(StreamCopyResult.Success, (await copy.WaitAsync(Wait)).Result);
        activity.Return();
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromException<int>(new IOException("read failed"));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromException(new IOException("write failed"));
    }

    /// <summary>Reads wait until the test releases a chunk (an empty chunk means end of stream).</summary>
    private sealed class GatedStream : MemoryStream
    {
        private readonly System.Threading.Channels.Channel<byte[]> _chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        private byte[]? _current;
        private int _offset;

        public void Release(byte[] chunk) => _chunks.Writer.TryWrite(chunk);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_current is null || _offset == _current.Length)
            {
                if (!_chunks.Reader.TryPeek(out _))
                {
                    await _chunks.Reader.WaitToReadAsync(cancellationToken);
                }

                if (buffer.IsEmpty)
                {
                    return 0;
                }

                _current = await _chunks.Reader.ReadAsync(cancellationToken);
                _offset = 0;
                if (_current.Length == 0)
                {
                    return 0;
                }
            }

            if (buffer.IsEmpty)
            {
                return 0;
            }

            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }
    }

    private sealed class FlushCountingStream : MemoryStream
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<int, TaskCompletionSource> _waiters = new();
        private int _flushes;

        /// <summary>Completes on the <paramref name="count"/>-th flush.</summary>
        public Task Flushed(int count) => Waiter(count).Task;

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            var count = Interlocked.Increment(ref _flushes);
            Waiter(count).TrySetResult();
            return Task.CompletedTask;
        }

        private TaskCompletionSource Waiter(int count)
            => _waiters.GetOrAdd(count, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
