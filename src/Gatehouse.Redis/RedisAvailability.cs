using StackExchange.Redis;

namespace Gatehouse.Redis;

/// <summary>
/// Whether Redis answers, as one flag that users read per request: a failed call reported through
/// <see cref="ReportFailure"/> or a lost connection announced by the client clears it, and a background probe
/// (the first connection, then <c>PING</c> every probe interval while clear, and at once when the client says a
/// connection is back) sets it again. While it is clear no request needs to touch the network, so an
/// outage costs no timeout per request.
/// </summary>
/// <remarks>
/// <para>Each change is announced once through the callbacks (the outage on the first failure, the recovery on
/// the first successful probe), so the user logs with its own event ids and texts; this project knows nothing
/// of the gateway's logging.</para>
/// <para>A normal start announces no outage: the first probe waits for the first connection, and only a failed
/// probe after that says the server is down. The client is shared with other users and is not disposed here.</para>
/// </remarks>
public sealed class RedisAvailability : IAsyncDisposable
{
    private readonly IRedisClient _client;
    private readonly TimeSpan _probeInterval;
    private readonly Action<Exception> _onUnavailable;
    private readonly Action<bool> _onAvailable;
    private readonly Func<IRedisClient, Task>? _onProbeSucceeded;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _probeSignal = new(0, 1);
    private Task? _probeLoop;
    private int _started;
    private int _available;
    private int _announcedDown;

    /// <param name="client">The client to probe; not disposed here.</param>
    /// <param name="probeInterval">How often an unavailable server is pinged; not positive means one second.</param>
    /// <param name="onUnavailable">Called once per outage with the failure that began it (or the failed probe's).</param>
    /// <param name="onAvailable">Called once per recovery: true after an announced outage, false on the first connection.</param>
    /// <param name="onProbeSucceeded">
    /// Extra work after a successful <c>PING</c>, before the flag is set (loading scripts, say); if it throws,
    /// the probe failed.
    /// </param>
    public RedisAvailability(IRedisClient client, TimeSpan probeInterval, Action<Exception> onUnavailable,
        Action<bool> onAvailable, Func<IRedisClient, Task>? onProbeSucceeded = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(onUnavailable);
        ArgumentNullException.ThrowIfNull(onAvailable);
        _client = client;
        _probeInterval = probeInterval > TimeSpan.Zero ? probeInterval : TimeSpan.FromSeconds(1);
        _onUnavailable = onUnavailable;
        _onAvailable = onAvailable;
        _onProbeSucceeded = onProbeSucceeded;
        _client.ConnectionLost += ReportFailure;
        _client.ConnectionRestored += WakeProbe;
    }

    /// <summary>True while the server answers; read per request, so a plain volatile read.</summary>
    public bool IsAvailable => Volatile.Read(ref _available) == 1;

    /// <summary>Starts connecting and probing in the background. Idempotent.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _probeLoop = Task.Run(ProbeLoopAsync);
        }
    }

    /// <summary>A call failed: clear the flag and wake the probe; only the first caller of an outage announces it.</summary>
    public void ReportFailure(Exception error)
    {
        if (Interlocked.CompareExchange(ref _available, 0, 1) != 1)
        {
            return;
        }

        Interlocked.Exchange(ref _announcedDown, 1);
        _onUnavailable(error);
        WakeProbe();
    }

    /// <summary>Stops the probe; the client stays open.</summary>
    public async ValueTask DisposeAsync()
    {
        _client.ConnectionLost -= ReportFailure;
        _client.ConnectionRestored -= WakeProbe;
        await _stopping.CancelAsync();
        if (_probeLoop is not null)
        {
            await _probeLoop;
        }

        _stopping.Dispose();
        _probeSignal.Dispose();
    }

    private void WakeProbe()
    {
        try
        {
            _probeSignal.Release();
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // The probe is already signalled, or this is shutting down.
        }
    }

    private async Task ProbeLoopAsync()
    {
        var stopping = _stopping.Token;
        try
        {
            // The first probe waits for the first connection, so a normal start logs no outage.
            await _client.ConnectAsync(stopping);
        }
        catch (Exception ex) when (ex is RedisException or RedisNotConnectedException or OperationCanceledException or ObjectDisposedException)
        {
        }

        while (!stopping.IsCancellationRequested)
        {
            if (!IsAvailable)
            {
                await ProbeAsync();
            }

            try
            {
                // A probe interval while down; while up, until a failure is reported.
                await _probeSignal.WaitAsync(IsAvailable ? Timeout.InfiniteTimeSpan : _probeInterval, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ProbeAsync()
    {
        try
        {
            await _client.PingAsync();
            if (_onProbeSucceeded is not null)
            {
                await _onProbeSucceeded(_client);
            }

            if (Interlocked.Exchange(ref _available, 1) == 0)
            {
                _onAvailable(Interlocked.Exchange(ref _announcedDown, 0) == 1);
            }
        }
        catch (Exception ex)
        {
            if (Interlocked.Exchange(ref _announcedDown, 1) == 0)
            {
                _onUnavailable(ex);
            }
        }
    }
}
