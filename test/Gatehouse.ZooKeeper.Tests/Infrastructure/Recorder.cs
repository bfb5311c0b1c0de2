using System.Collections.Concurrent;

namespace Gatehouse.ZooKeeper.Tests.Infrastructure;

/// <summary>Collects callbacks (watch events, state changes) and waits for one that matches, with a generous timeout.</summary>
public sealed class Recorder<T>
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentQueue<T> _items = new();
    private readonly SemaphoreSlim _signal = new(0);

    public void Add(T item)
    {
        _items.Enqueue(item);
        _signal.Release();
    }

    public IReadOnlyList<T> Items => [.. _items];

    public async Task<T> WaitForAsync(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            foreach (var item in _items)
            {
                if (match(item))
                {
                    return item;
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _signal.WaitAsync(left))
            {
                throw new TimeoutException($"No matching {typeof(T).Name} within the timeout; got: {string.Join(", ", _items)}");
            }
        }
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds (generous timeout: the box may be loaded).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }
}

public static class TestClients
{
    /// <summary>Connects with a deadline, so a test that cannot reach the server fails instead of hanging.</summary>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await ZooKeeperClient.ConnectAsync(options, deadline.Token);
    }
}
