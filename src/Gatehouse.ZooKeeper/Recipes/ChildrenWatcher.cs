using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.ZooKeeper;

/// <summary>
/// Mirrors the children of one node and their data, kept current with watches that are re-armed after every event,
/// survive reconnects (the client re-registers them) and are re-established after a session expiry. Each change of
/// the mirror is handed to a callback as a new immutable snapshot.
/// </summary>
/// <remarks>
/// Used by the admin to mirror <c>/gatehouse/{group}/services/{service}/nodes</c>. The parent may be missing: the
/// mirror is empty then, and an exists watch waits for the node to be created. Work is done one item at a time on a
/// loop of its own; events only queue work, so callbacks of the client stay short. After a failure (connection
/// loss, timeout) the loop waits briefly and re-reads everything, which also re-arms every watch.
/// </remarks>
public sealed class ChildrenWatcher : IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, byte[]> Empty = new Dictionary<string, byte[]>();

    private readonly ZooKeeperClient _client;
    private readonly string _path;
    private readonly Action<IReadOnlyDictionary<string, byte[]>> _onChanged;
    private readonly ILogger _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // One delegate instance per kind, so re-arming a watch on the same node never registers a second watcher.
    private readonly Action<WatchedEvent> _childWatcher;
    private readonly Action<WatchedEvent> _dataWatcher;
    private readonly Action<WatchedEvent> _parentWatcher;
    private Dictionary<string, byte[]> _mirror = new(StringComparer.Ordinal);
    private volatile IReadOnlyDictionary<string, byte[]> _current = Empty;
    private Task _loop = Task.CompletedTask;

    /// <summary>Prepares a watcher of <paramref name="path"/>'s children; <see cref="StartAsync"/> starts it.</summary>
    /// <param name="client">The client to read through.</param>
    /// <param name="path">The parent node.</param>
    /// <param name="onChanged">Called with the new snapshot (child name → data) after each change; runs on the watcher's loop.</param>
    /// <param name="logger">Where failures are logged.</param>
    public ChildrenWatcher(ZooKeeperClient client, string path, Action<IReadOnlyDictionary<string, byte[]>> onChanged, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(onChanged);
        PathUtilities.Validate(path);
        _client = client;
        _path = path;
        _onChanged = onChanged;
        _logger = logger ?? NullLogger.Instance;
        _childWatcher = e => Queue(e, Work.Children);
        _parentWatcher = e => Queue(e, Work.Children);
        _dataWatcher = e => Queue(e, e.Type == WatchedEventType.NodeDataChanged ? Work.Data(NameOf(e.Path)) : Work.Children);
    }

    /// <summary>The latest snapshot: child name → data.</summary>
    public IReadOnlyDictionary<string, byte[]> Current => _current;

    /// <summary>Starts the loop and waits for the first full read.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _client.StateChanged += OnStateChanged;
        _work.Writer.TryWrite(Work.Full);
        _loop = Task.Run(RunAsync);
        await _firstSync.Task.WaitAsync(cancellationToken);
    }

    private void Queue(WatchedEvent watchedEvent, Work work)
    {
        // A None event means the watch ended with the session: the new session's Connected event re-reads everything.
        if (watchedEvent.Type != WatchedEventType.None)
        {
            _work.Writer.TryWrite(work);
        }
    }

    private void OnStateChanged(ZooKeeperStateChange change)
    {
        if (change.State == ZooKeeperState.Connected && change.IsNewSession)
        {
            _work.Writer.TryWrite(Work.Full);
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        var pending = new List<Work>();
        try
        {
            while (await _work.Reader.WaitToReadAsync(token))
            {
                pending.Clear();
                while (_work.Reader.TryRead(out var item))
                {
                    pending.Add(item);
                }

                try
                {
                    await ProcessAsync(pending, token);
                    _firstSync.TrySetResult();
                }
                catch (ObjectDisposedException)
                {
                    return; // the client was closed: nothing more to watch
                }
                catch (Exception exception) when (!token.IsCancellationRequested)
                {
                    _logger.LogWarning(exception, "Watching the children of {Path} failed; reading again.", _path);
                    await Task.Delay(TimeSpan.FromMilliseconds(200), token);
                    _work.Writer.TryWrite(Work.Full);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task ProcessAsync(List<Work> items, CancellationToken token)
    {
        var full = false;
        var children = false;
        foreach (var item in items)
        {
            full |= item.Kind == WorkKind.Full;
            children |= item.Kind == WorkKind.Children;
        }

        var next = new Dictionary<string, byte[]>(_mirror, StringComparer.Ordinal);
        if (full || children)
        {
            ZNodeChildren listing;
            try
            {
                listing = await _client.GetChildrenAsync(_path, _childWatcher, token);
            }
            catch (NoNodeException)
            {
                // No parent: wait for its creation. If it appeared in between, exists says so and we list again.
                if (await _client.ExistsAsync(_path, _parentWatcher, token) is not null)
                {
                    _work.Writer.TryWrite(Work.Children);
                }

                Publish([]);
                return;
            }

            var names = new HashSet<string>(listing.Children, StringComparer.Ordinal);
            foreach (var name in next.Keys)
            {
                if (!names.Contains(name))
                {
                    next.Remove(name);
                }
            }

            foreach (var name in names)
            {
                // A full read re-arms every data watch (needed in a new session); otherwise only new children are read.
                if (full || !next.ContainsKey(name))
                {
                    await ReadChildAsync(next, name, token);
                }
            }
        }

        if (!full)
        {
            foreach (var item in items)
            {
                if (item.Kind == WorkKind.Data && next.ContainsKey(item.Name!))
                {
                    await ReadChildAsync(next, item.Name!, token);
                }
            }
        }

        Publish(next);
    }

    private async Task ReadChildAsync(Dictionary<string, byte[]> into, string name, CancellationToken token)
    {
        try
        {
            var data = await _client.GetDataAsync(PathUtilities.Combine(_path, name), _dataWatcher, token);
            into[name] = data.Data;
        }
        catch (NoNodeException)
        {
            // Deleted since the listing: the child watch fires and the next listing drops it.
            into.Remove(name);
        }
    }

    private void Publish(Dictionary<string, byte[]> next)
    {
        if (SameAs(_mirror, next) && _firstSync.Task.IsCompleted)
        {
            return;
        }

        _mirror = next;
        var snapshot = new Dictionary<string, byte[]>(next, StringComparer.Ordinal);
        _current = snapshot;
        try
        {
            _onChanged(snapshot);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "The children callback for {Path} threw.", _path);
        }
    }

    private static bool SameAs(Dictionary<string, byte[]> a, Dictionary<string, byte[]> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var (name, data) in a)
        {
            if (!b.TryGetValue(name, out var other) || !data.AsSpan().SequenceEqual(other))
            {
                return false;
            }
        }

        return true;
    }

    private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Stops the loop. Armed watches stay registered until they fire (and then do nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        _client.StateChanged -= OnStateChanged;
        _stop.Cancel();
        _work.Writer.TryComplete();
        await _loop;
        _firstSync.TrySetCanceled();
        _stop.Dispose();
    }

    private enum WorkKind
    {
        Full,
        Children,
        Data,
    }

    private readonly record struct Work(WorkKind Kind, string? Name)
    {
        public static Work Full => new(WorkKind.Full, null);

        public static Work Children => new(WorkKind.Children, null);

        public static Work Data(string name) => new(WorkKind.Data, name);
    }
}
