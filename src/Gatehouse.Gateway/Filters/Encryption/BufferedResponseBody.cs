using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Filters.Encryption;

/// <summary>
/// Stands in for the response body of an exchange whose API has a filter with a body phase (payload encryption's
/// sealing, or a plugin declaring <see cref="Gatehouse.Plugins.PluginPhases.ResponseBody"/>): the forwarder writes the
/// node's body into a pooled buffer instead of the client connection, so nothing reaches the client before the whole
/// body is here and the filters have seen it (<see cref="FilterChain"/>). Holds at most <c>limit</c> bytes; one more and the write throws
/// <see cref="ResponseBodyLimitException"/>, which the forwarder turns into 502 <c>response_too_large</c>.
/// </summary>
/// <remarks>
/// Starting the response (<see cref="StartAsync"/>, flushes) does nothing here: the client's response starts only
/// when the final body is written through <see cref="Inner"/>. Gateway error responses bypass the buffer
/// (<see cref="Bypass"/>): they carry no payload and stay plain problem JSON.
/// </remarks>
internal sealed class BufferedResponseBody : PipeWriter, IHttpResponseBodyFeature, IDisposable
{
    private readonly int _limit;
    private byte[]? _buffer;
    private int _length;
    private Stream? _stream;

    public BufferedResponseBody(IHttpResponseBodyFeature inner, int limit)
    {
        Inner = inner;
        _limit = limit;
    }

    /// <summary>The client's own response body.</summary>
    public IHttpResponseBodyFeature Inner { get; }

    /// <summary>The body collected so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer is null ? default : _buffer.AsSpan(0, _length);

    /// <summary>The body collected so far, valid until this is disposed.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer is null ? default : _buffer.AsMemory(0, _length);

    Stream IHttpResponseBodyFeature.Stream => _stream ??= AsStream(leaveOpen: true);

    PipeWriter IHttpResponseBodyFeature.Writer => this;

    /// <summary>Puts the client's body back in place, so a problem response goes out plain, and drops what was collected.</summary>
    public static void Bypass(HttpContext context)
    {
        if (context.Features.Get<IHttpResponseBodyFeature>() is BufferedResponseBody buffered)
        {
            context.Features.Set(buffered.Inner);
            buffered.Dispose();
        }
    }

    /// <summary>Takes the buffer out of the exchange: the client's body goes back in place; the caller disposes this.</summary>
    public static BufferedResponseBody? Detach(HttpContext context)
    {
        if (context.Features.Get<IHttpResponseBodyFeature>() is not BufferedResponseBody buffered)
        {
            return null;
        }

        context.Features.Set(buffered.Inner);
        return buffered;
    }

    public void DisableBuffering()
    {
        // Buffering is the point.
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(((IHttpResponseBodyFeature)this).Stream, path, offset, count, cancellationToken);

    public Task CompleteAsync() => Task.CompletedTask;

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _buffer is null || _length + bytes > Math.Min(_buffer.Length, _limit))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        _length += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Reserve first: it may replace the buffer.
        var room = Reserve(sizeHint);
        return _buffer.AsMemory(room);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        var room = Reserve(sizeHint);
        return _buffer.AsSpan(room);
    }

    public override void CancelPendingFlush()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => new(new FlushResult(false, false));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Makes room for a write of at least <paramref name="sizeHint"/> bytes (1 when 0) and returns where it starts; the
    /// room handed out never reaches past the limit, so a write that would pass it fails here, before any copy.
    /// </summary>
    private Range Reserve(int sizeHint)
    {
        var wanted = Math.Max(sizeHint, 1);
        if (wanted > _limit - _length)
        {
            throw new ResponseBodyLimitException(_limit);
        }

        if (_buffer is null || _buffer.Length - _length < wanted)
        {
            var capacity = (int)Math.Min(Math.Max((long)(_buffer?.Length ?? 0) * 2, Math.Max(_length + (long)wanted, 4096)), _limit);
            var larger = ArrayPool<byte>.Shared.Rent(capacity);
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        var end = Math.Min(_buffer.Length, _limit);
        return _length..end;
    }
}
