namespace Gatehouse.Gateway.Engine.Upstream;

/// <summary>
/// The node side of the event-loop engine (<c>LoopEngine:Upstream</c>, on by default): each upstream pool the
/// gateway creates is wrapped so that a request running on a loop thread is sent through that loop's own pool, whose
/// connections the loop carries (<see cref="LoopUpstreamStream"/>). Client and node socket of an exchange then share
/// one thread, as in nginx or Netty.
/// </summary>
internal sealed class LoopUpstream
{
    /// <summary>Node connections the loops opened and still hold.</summary>
    public LoopCounters Counters { get; } = new();

    /// <summary>A handler that sends through per-loop pools made by <paramref name="create"/>, and through one shared pool elsewhere.</summary>
    public HttpMessageHandler Wrap(Func<SocketsHttpHandler> create) => new LoopAffineHandler(create, Counters);
}

/// <summary>
/// Chooses the pool per request: the current loop's for plaintext nodes when the request runs on a loop thread, the
/// shared platform pool otherwise (TLS nodes, requests continued on the thread pool, hosts on the platform engine).
/// The choice is a thread-static read and an array index; each loop's pool is created by that loop on first use.
/// </summary>
internal sealed class LoopAffineHandler : HttpMessageHandler
{
    // Loops are numbered from 0 per host; a host with more loops than this sends the rest through the shared pool.
    private const int MaxLoops = 256;

    private readonly Func<SocketsHttpHandler> _create;
    private readonly LoopCounters _counters;
    private readonly HttpMessageInvoker _shared;
    private readonly PerLoop?[] _perLoop = new PerLoop?[MaxLoops];

    public LoopAffineHandler(Func<SocketsHttpHandler> create, LoopCounters counters)
    {
        _create = create;
        _counters = counters;
        _shared = new HttpMessageInvoker(create(), disposeHandler: true);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var loop = EventLoop.Current;
        if (loop is not null && (uint)loop.Index < MaxLoops && request.RequestUri is { Scheme: "http" })
        {
            var entry = _perLoop[loop.Index] ?? Create(loop);
            if (ReferenceEquals(entry.Loop, loop))
            {
                return entry.Invoker.SendAsync(request, cancellationToken);
            }
        }

        return _shared.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _shared.Send(request, cancellationToken);

    private PerLoop Create(EventLoop loop)
    {
        var handler = _create();
        var counters = _counters;
        handler.ConnectCallback = async (context, cancellationToken) =>
            await LoopUpstreamStream.ConnectAsync(loop, context.DnsEndPoint, counters, cancellationToken).ConfigureAwait(false);
        var created = new PerLoop(loop, new HttpMessageInvoker(handler, disposeHandler: true));

        // Normally only the loop's own thread fills its slot; the exchange keeps a second pool from leaking regardless.
        var existing = Interlocked.CompareExchange(ref _perLoop[loop.Index], created, null);
        if (existing is null)
        {
            return created;
        }

        created.Invoker.Dispose();
        return existing;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _shared.Dispose();
            for (var i = 0; i < _perLoop.Length; i++)
            {
                Interlocked.Exchange(ref _perLoop[i], null)?.Invoker.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private sealed record PerLoop(EventLoop Loop, HttpMessageInvoker Invoker);
}
