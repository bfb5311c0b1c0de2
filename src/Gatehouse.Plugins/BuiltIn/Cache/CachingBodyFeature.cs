using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>
/// The response body as the client gets it, plus a copy of up to <c>limit</c> bytes for the cache. Installed on a
/// cacheable miss in place of the server's body feature; every write (the forwarder's pipe writes, stream writes of
/// error bodies) goes through <see cref="CopyingPipeWriter"/> to the server's writer unchanged.
/// </summary>
internal sealed class CachingBodyFeature : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly CopyingPipeWriter _writer;
    private Stream? _stream;

    public CachingBodyFeature(IHttpResponseBodyFeature inner, int limit, string key, TaskCompletionSource fetch, bool authorized)
    {
        _inner = inner;
        _writer = new CopyingPipeWriter(inner.Writer, limit);
        Key = key;
        Fetch = fetch;
        Authorized = authorized;
    }

    /// <summary>The cache key of the request.</summary>
    public string Key { get; }

    /// <summary>Completed when the response is stored or found not storable; concurrent requests for the key wait on it.</summary>
    public TaskCompletionSource Fetch { get; }

    /// <summary>The request carried Authorization: the response is stored only if it says it may be shared.</summary>
    public bool Authorized { get; }

    /// <summary>The response headers as the cache stores them, taken in the cache's response phase; null if it did not run.</summary>
    public KeyValuePair<string, string>[]? Headers { get; set; }

    /// <summary>The bytes written, or null once more than the limit were.</summary>
    public ArrayBufferWriter<byte>? Copy => _writer.Copy;

    public Stream Stream => _stream ??= _writer.AsStream(leaveOpen: true);

    public PipeWriter Writer => _writer;

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        await _writer.FlushAsync();
        await _inner.CompleteAsync();
    }

    /// <summary>Forwards to the server's writer and copies what each <see cref="Advance"/> commits.</summary>
    private sealed class CopyingPipeWriter(PipeWriter inner, int limit) : PipeWriter
    {
        private Memory<byte> _last;

        public ArrayBufferWriter<byte>? Copy { get; private set; } = new();

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_last = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            if (Copy is { } copy)
            {
                if (copy.WrittenCount + bytes > limit)
                {
                    // Too large to cache: stop copying, keep relaying.
                    Copy = null;
                }
                else
                {
                    copy.Write(_last.Span[..bytes]);
                }
            }

            _last = _last[bytes..];
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
