using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Engine;

/// <summary>
/// The event-loop engine as a Kestrel transport. It binds only the endpoints <see cref="CanBind"/> accepts (the
/// plaintext traffic port); Kestrel binds every other endpoint with its socket transport. The loops start with the
/// first bind and stop when the host disposes the factory.
/// </summary>
internal sealed class LoopTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly Func<EndPoint, bool> _select;
    private readonly LoopEngineOptions _options;
    private readonly ILogger _logger;
    private readonly MemoryPool<byte> _pool;
    private readonly Lock _lock = new();
    private EventLoop[]? _loops;
    private readonly LoopCounters _counters = new();

    public LoopTransportFactory(Func<EndPoint, bool> select, LoopEngineOptions options, ILoggerFactory loggers, IMemoryPoolFactory<byte>? pools)
    {
        _select = select;
        _options = options;
        _logger = loggers.CreateLogger("Gatehouse.Gateway.Engine");
        _pool = pools?.Create(new MemoryPoolOptions { Owner = "gatehouse-loop" }) ?? MemoryPool<byte>.Shared;
    }

    /// <summary>Connections accepted so far (tests use it to prove the engine carried their traffic).</summary>
    public long AcceptedConnections => _counters.Opened;

    /// <summary>Connections accepted and not yet closed.</summary>
    public long OpenConnections => _counters.Open;

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint && _select(endpoint);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var loops = StartLoops();
        IConnectionListener listener = new LoopListener(endpoint, loops, _pool, _options, _counters);
        EngineLog.Bound(_logger, listener.EndPoint.ToString() ?? "", loops.Length);
        return ValueTask.FromResult(listener);
    }

    private EventLoop[] StartLoops()
    {
        lock (_lock)
        {
            if (_loops is null)
            {
                var loops = new EventLoop[_options.ResolvedLoops];
                for (var i = 0; i < loops.Length; i++)
                {
                    loops[i] = new EventLoop(i, _logger);
                }

                _loops = loops;
            }

            return _loops;
        }
    }

    public void Dispose()
    {
        EventLoop[]? loops;
        lock (_lock)
        {
            loops = _loops;
            _loops = null;
        }

        if (loops is not null)
        {
            foreach (var loop in loops)
            {
                loop.Dispose();
            }
        }

        if (!ReferenceEquals(_pool, MemoryPool<byte>.Shared))
        {
            _pool.Dispose();
        }
    }
}
