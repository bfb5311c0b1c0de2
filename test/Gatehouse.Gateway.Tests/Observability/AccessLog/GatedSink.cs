using System.Collections.Concurrent;
using System.Text;
using Gatehouse.Gateway.Observability.AccessLog;

namespace Gatehouse.Gateway.Tests.Observability.AccessLog;

/// <summary>A sink that keeps its lines in memory and, while closed, blocks the writer inside <see cref="Write"/> (a stuck disk).</summary>
internal sealed class GatedSink : IAccessLogSink
{
    private readonly ManualResetEventSlim _gate;
    private readonly ManualResetEventSlim _entered = new(false);

    public GatedSink(bool open)
    {
        _gate = new ManualResetEventSlim(open);
    }

    public ConcurrentQueue<string> Lines { get; } = new();

    public bool Disposed { get; private set; }

    /// <summary>Waits until the writer is inside <see cref="Write"/> (blocked, if the gate is closed).</summary>
    public bool WaitEntered(TimeSpan timeout) => _entered.Wait(timeout);

    public void Open() => _gate.Set();

    public void Write(ReadOnlySpan<byte> line)
    {
        _entered.Set();
        _gate.Wait();
        Lines.Enqueue(Encoding.UTF8.GetString(line));
    }

    public void Flush()
    {
    }

    public void Dispose() => Disposed = true;
}
