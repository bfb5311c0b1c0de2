using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>The admin's collections in a time window: how many of each generation, and the time threads were paused.</summary>
internal sealed record GcFigures(int Gen0, int Gen1, int Gen2, double PausedMs, double MaxPauseMs);

/// <summary>
/// Watches the admin's garbage collections over EventPipe (the runtime's GC events, as dotnet-trace would): every
/// collection's generation and the pause from suspending to restarting the runtime. Request latency waits out such
/// pauses, so they are one explanation a p99 can be checked against.
/// </summary>
internal sealed class GcWatch : IDisposable
{
    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _reader;
    private readonly List<(DateTime At, int Generation)> _collections = [];
    private readonly List<(DateTime At, double Ms)> _pauses = [];
    private DateTime? _suspended;

    public GcWatch(int pid)
    {
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.GC);
        _session = new DiagnosticsClient(pid).StartEventPipeSession([provider], requestRundown: false);
        _source = new EventPipeEventSource(_session.EventStream);
        _source.Clr.GCStart += e => Add(_collections, (e.TimeStamp, e.Depth));
        _source.Clr.GCSuspendEEStart += e => _suspended = e.TimeStamp;
        _source.Clr.GCRestartEEStop += e =>
        {
            if (_suspended is { } from)
            {
                Add(_pauses, (e.TimeStamp, (e.TimeStamp - from).TotalMilliseconds));
                _suspended = null;
            }
        };
        _reader = Task.Run(() => _source.Process());
    }

    /// <summary>The collections that started, and pauses that ended, between <paramref name="from"/> and <paramref name="to"/>.</summary>
    public GcFigures Between(DateTime from, DateTime to)
    {
        lock (_collections)
        {
            var gcs = _collections.Where(c => c.At >= from && c.At < to).ToList();
            var pauses = _pauses.Where(p => p.At >= from && p.At < to).Select(p => p.Ms).ToList();
            return new GcFigures(gcs.Count(c => c.Generation == 0), gcs.Count(c => c.Generation == 1), gcs.Count(c => c.Generation == 2),
                pauses.Sum(), pauses.Count == 0 ? 0 : pauses.Max());
        }
    }

    public void Dispose()
    {
        try
        {
            _session.Stop();
            _reader.Wait(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is ServerNotAvailableException or AggregateException or IOException or TimeoutException)
        {
            // The admin is already gone.
        }

        _source.Dispose();
        _session.Dispose();
    }

    private void Add<T>(List<T> list, T item)
    {
        lock (_collections)
        {
            list.Add(item);
        }
    }
}
