namespace Gatehouse.ZooKeeper.Connection;

/// <summary>
/// The client's one-shot watches, in three tables as in ZooKeeper's protocol: data watches (getData, exists on an
/// existing node), exist watches (exists on a missing node) and child watches. Keyed by client path (no chroot).
/// The same watcher registered twice on one path is kept once, so it fires once.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _exist = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _child = new(StringComparer.Ordinal);

    public void Add(WatchKind kind, string path, Action<WatchedEvent> watcher)
    {
        var table = kind switch
        {
            WatchKind.Data => _data,
            WatchKind.Exist => _exist,
            _ => _child,
        };
        lock (_lock)
        {
            if (!table.TryGetValue(path, out var set))
            {
                set = [];
                table[path] = set;
            }

            set.Add(watcher);
        }
    }

    /// <summary>Removes and returns the watchers an event on <paramref name="path"/> triggers (each fires once).</summary>
    public List<Action<WatchedEvent>> Take(WatchedEventType type, string path)
    {
        var result = new List<Action<WatchedEvent>>();
        lock (_lock)
        {
            switch (type)
            {
                case WatchedEventType.NodeCreated:
                case WatchedEventType.NodeDataChanged:
                    TakeFrom(_data, path, result);
                    TakeFrom(_exist, path, result);
                    break;
                case WatchedEventType.NodeChildrenChanged:
                    TakeFrom(_child, path, result);
                    break;
                case WatchedEventType.NodeDeleted:
                    TakeFrom(_data, path, result);
                    TakeFrom(_exist, path, result);
                    TakeFrom(_child, path, result);
                    break;
            }
        }

        return result;
    }

    /// <summary>Removes every watch (session expired or client closed), with its path.</summary>
    public List<(string Path, Action<WatchedEvent> Watcher)> TakeAll()
    {
        var result = new List<(string, Action<WatchedEvent>)>();
        lock (_lock)
        {
            foreach (var table in (Dictionary<string, HashSet<Action<WatchedEvent>>>[])[_data, _exist, _child])
            {
                foreach (var (path, set) in table)
                {
                    foreach (var watcher in set)
                    {
                        result.Add((path, watcher));
                    }
                }

                table.Clear();
            }
        }

        return result;
    }

    /// <summary>The paths to re-register with SetWatches after a reconnect within the session.</summary>
    public (List<string> Data, List<string> Exist, List<string> Child) Paths()
    {
        lock (_lock)
        {
            return ([.. _data.Keys], [.. _exist.Keys], [.. _child.Keys]);
        }
    }

    private static void TakeFrom(Dictionary<string, HashSet<Action<WatchedEvent>>> table, string path, List<Action<WatchedEvent>> into)
    {
        if (table.Remove(path, out var set))
        {
            foreach (var watcher in set)
            {
                if (!into.Contains(watcher))
                {
                    into.Add(watcher);
                }
            }
        }
    }
}
