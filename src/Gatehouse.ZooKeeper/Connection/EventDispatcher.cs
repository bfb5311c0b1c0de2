using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ZooKeeper.Connection;

/// <summary>
/// Runs watch callbacks and state-change handlers one at a time, in the order the events arrived, off the read
/// loop (so a slow or blocking callback delays other callbacks but never replies or pings).
/// </summary>
internal sealed class EventDispatcher
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Task _loop;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Post(Action action) => _queue.Writer.TryWrite(action);

    /// <summary>Stops after the queued callbacks ran.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        await foreach (var action in _queue.Reader.ReadAllAsync())
        {
            try
            {
                action();
            }
            catch (Exception exception)
            {
                // A failing callback must not stop delivery to the others.
                _logger.LogError(exception, "A ZooKeeper watch or state callback threw.");
            }
        }
    }
}
