using Gatehouse.ZooKeeper.Connection;
using Gatehouse.ZooKeeper.Wire;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ZooKeeper;

/// <summary>The session loop: connect, run the connection, reconnect within the session, start a new one on expiry.</summary>
public sealed partial class ZooKeeperClient : IConnectionHandler
{
    private static readonly TimeSpan CloseSessionTimeout = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource _firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _shutdown = new();
    private Task _sessionLoop = Task.CompletedTask;
    private volatile ZooKeeperState _state = ZooKeeperState.Connecting;
    private volatile bool _closeRequested;
    private volatile string? _connectedServer;
    private long _sessionId;
    private byte[] _sessionPassword;
    private int _negotiatedTimeoutMs;
    private long _lastZxid;
    private int _closed;

    private void Start() => _sessionLoop = Task.Run(RunSessionAsync);

    /// <remarks>
    /// Server order: the connect string's order, shuffled once per client unless
    /// <see cref="ZooKeeperClientOptions.ShuffleServers"/> is off, moving to the next server after every failure or lost
    /// connection (so one dead server costs one failed attempt, and a single server is retried). In an ensemble this is
    /// what moves a session: the session lives on the quorum, not on the server, so any member resumes it (with its
    /// ephemeral nodes, and the watches re-registered by SetWatches) as long as the client gets there within the
    /// session timeout. A member that is not serving (during a leader election every member drops its clients and
    /// refuses handshakes until a new leader has a quorum) counts as a failed attempt, so the backoff paces the retries
    /// until the election is over. Backoff: the first attempt after a loss is immediate, later ones wait 50 ms
    /// doubling up to <see cref="ZooKeeperClientOptions.MaxReconnectDelay"/>.
    /// The client never declares a session expired by itself: only the server knows, and says so when we reconnect.
    /// </remarks>
    private async Task RunSessionAsync()
    {
        var servers = _servers;
        var serverIndex = 0;
        var failures = 0;
        var token = _shutdown.Token;
        while (!token.IsCancellationRequested)
        {
            if (failures > 0)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(50 * Math.Pow(2, failures - 1), _options.MaxReconnectDelay.TotalMilliseconds));
                try
                {
                    await Task.Delay(delay, token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var (host, port) = servers[serverIndex % servers.Length];
            ZooKeeperConnection? connection = null;
            try
            {
                var request = new ConnectRequest(Interlocked.Read(ref _lastZxid), (int)_options.SessionTimeout.TotalMilliseconds, SessionId, _sessionPassword);
                (connection, var response) = await ZooKeeperConnection.OpenAsync(host, port, request, _options.ConnectTimeout, token);
                if (response.IsExpired)
                {
                    await connection.DisposeAsync();
                    OnSessionExpired();
                    failures = 0;
                    continue; // same server, new session, at once
                }

                var isNewSession = response.SessionId != SessionId || SessionId == 0;
                Interlocked.Exchange(ref _sessionId, response.SessionId);
                _sessionPassword = response.Password;
                _negotiatedTimeoutMs = response.TimeoutMs;
                failures = 0;

                // Within the same session the watches live on: re-register them before any queued request goes out.
                byte[]? setWatches = null;
                var (data, exist, child) = _watches.Paths();
                if (!isNewSession && data.Count + exist.Count + child.Count > 0)
                {
                    var relativeZxid = Interlocked.Read(ref _lastZxid);
                    setWatches = ZooKeeperRequest.Serialize(w => Records.WriteSetWatches(w,
                        relativeZxid, data.ConvertAll(ToServerPath), exist.ConvertAll(ToServerPath), child.ConvertAll(ToServerPath)));
                }

                _logger.LogInformation("ZooKeeper session 0x{SessionId:x} {Kind} on {Server}, timeout {Timeout} ms.",
                    response.SessionId, isNewSession ? "started" : "resumed", connection.Server, response.TimeoutMs);
                _connectedServer = connection.Server;
                SetState(ZooKeeperState.Connected, response.SessionId, isNewSession);

                // Released after the first Connected event was delivered, so a handler subscribed once
                // ConnectAsync returned never sees it: its first event is a real change.
                _dispatcher.Post(() => _firstConnected.TrySetResult());

                var connectedAt = Environment.TickCount64;
                var failure = await connection.RunAsync(_outgoing.Reader, setWatches, SessionTimeout, this, _logger, token);
                _connectedServer = null;
                if (token.IsCancellationRequested || _closeRequested)
                {
                    break;
                }

                _logger.LogWarning(failure, "ZooKeeper connection to {Server} lost; reconnecting within session 0x{SessionId:x}.",
                    connection.Server, SessionId);
                SetState(ZooKeeperState.Disconnected, SessionId, isNewSession: false);

                // A server that accepts and then drops us at once must not be retried in a tight loop.
                if (Environment.TickCount64 - connectedAt < 1000)
                {
                    failures++;
                }
            }
            catch (Exception exception) when (!token.IsCancellationRequested)
            {
                failures++;
                _logger.LogDebug(exception, "ZooKeeper connect to {Host}:{Port} failed.", host, port);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            finally
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }

            serverIndex++;
        }
    }

    /// <summary>
    /// The server refused our session as expired: every watch fires once with (None, Expired) and is gone, owners
    /// hear <see cref="ZooKeeperState.Expired"/>, and the loop starts a new session (Connected, IsNewSession).
    /// </summary>
    private void OnSessionExpired()
    {
        var expired = SessionId;
        _logger.LogWarning("ZooKeeper session 0x{SessionId:x} expired; starting a new session.", expired);
        Interlocked.Exchange(ref _sessionId, 0);
        _sessionPassword = new byte[16];
        FireAllWatches(ZooKeeperState.Expired);
        SetState(ZooKeeperState.Expired, expired, isNewSession: false);
    }

    private void FireAllWatches(ZooKeeperState state)
    {
        foreach (var (path, watcher) in _watches.TakeAll())
        {
            var watchedEvent = new WatchedEvent(WatchedEventType.None, state, path);
            _dispatcher.Post(() => watcher(watchedEvent));
        }
    }

    private void SetState(ZooKeeperState state, long sessionId, bool isNewSession)
    {
        _state = state;
        var change = new ZooKeeperStateChange(state, sessionId, isNewSession);
        _dispatcher.Post(() => StateChanged?.Invoke(change));
    }

    void IConnectionHandler.OnZxid(long zxid)
    {
        // Replies arrive in order on one connection, so the latest is the largest; keep the max anyway for safety.
        long current;
        do
        {
            current = Interlocked.Read(ref _lastZxid);
            if (zxid <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _lastZxid, zxid, current) != current);
    }

    void IConnectionHandler.OnNotification(WatchedEventType type, string serverPath)
    {
        var path = ToClientPath(serverPath);
        var watchers = _watches.Take(type, path);
        if (watchers.Count == 0)
        {
            return;
        }

        var watchedEvent = new WatchedEvent(type, ZooKeeperState.Connected, path);
        _dispatcher.Post(() =>
        {
            foreach (var watcher in watchers)
            {
                try
                {
                    watcher(watchedEvent);
                }
                catch (Exception exception)
                {
                    _logger.LogError(exception, "A ZooKeeper watcher for {Path} threw.", path);
                }
            }
        });
    }

    /// <summary>
    /// Closes the session (the server deletes its ephemeral nodes at once) and the connection. Queued and in-flight
    /// requests fail; remaining watches fire once with (None, Closed).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_state == ZooKeeperState.Connected)
        {
            // Set first: the server closes the connection right after its reply, and that must not look like a loss.
            _closeRequested = true;
            var request = new ZooKeeperRequest<bool>(OpCode.CloseSession, null, [], (code, ref reader) => true);
            _outgoing.Writer.TryWrite(request);
            try
            {
                await request.Task.WaitAsync(CloseSessionTimeout);
            }
            catch (Exception exception)
            {
                // The session will expire on its own; nothing else to do.
                _logger.LogDebug(exception, "ZooKeeper closeSession got no reply.");
            }
        }

        _closeRequested = true;
        _shutdown.Cancel();
        _outgoing.Writer.TryComplete();
        await _sessionLoop;
        while (_outgoing.Reader.TryRead(out var queued))
        {
            queued.Fail(new ObjectDisposedException(nameof(ZooKeeperClient)));
        }

        _firstConnected.TrySetCanceled();
        FireAllWatches(ZooKeeperState.Closed);
        SetState(ZooKeeperState.Closed, SessionId, isNewSession: false);
        await _dispatcher.CompleteAsync();
        _shutdown.Dispose();
    }
}
