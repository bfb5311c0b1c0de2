using Gatehouse.Redis.Connection;
using Gatehouse.Redis.Protocol;

namespace Gatehouse.Redis;

/// <summary>
/// A RESP2 client over a small pool of multiplexed, pipelined connections (<see cref="RedisOptions.PoolSize"/>),
/// each reconnecting on its own. Commands go round-robin to a live connection; with none live they fail at
/// once with <see cref="RedisConnectionException"/>.
/// </summary>
public sealed class RedisClient : IRedisClient
{
    private readonly ConnectionSlot[] _slots;
    private readonly RedisOptions _options;
    private readonly long _commandTimeoutMs;
    private readonly long _staleAfterMs;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private Timer? _timeoutTimer;
    private int _next;
    private int _started;

    /// <summary>Creates the client without connecting; see <see cref="Start"/> and <see cref="ConnectAsync"/>.</summary>
    /// <exception cref="FormatException">The address is not a list of host:port.</exception>
    public RedisClient(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var endpoints = options.ParseEndpoints();
        _slots = new ConnectionSlot[Math.Max(1, options.PoolSize)];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ConnectionSlot(endpoints, options);
        }

        _commandTimeoutMs = Math.Max(1, (long)options.CommandTimeout.TotalMilliseconds);
        _staleAfterMs = Math.Max(5_000, 4 * _commandTimeoutMs);
        Address = options.Address!;
    }

    /// <summary>The configured address, for messages.</summary>
    public string Address { get; }

    /// <inheritdoc/>
    public bool IsConnected
    {
        get
        {
            foreach (var slot in _slots)
            {
                if (slot.Current is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Starts connecting every slot in the background; returns at once. Idempotent.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        foreach (var slot in _slots)
        {
            _loops.Add(Task.Run(() => slot.RunAsync(_stopping.Token)));
        }

        // Timeouts are found by one scan per tick instead of a timer per command.
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(_commandTimeoutMs / 5, 5, 50));
        _timeoutTimer = new Timer(_ => CheckTimeouts(), null, tick, tick);
    }

    /// <inheritdoc/>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Start();
        var deadline = DateTime.UtcNow + _options.ConnectTimeout + TimeSpan.FromMilliseconds(200);
        while (!IsConnected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw NotConnected();
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    /// <inheritdoc/>
    public Task<RespValue> ExecuteAsync(params RedisArg[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_slots.Length);
        for (var i = 0; i < _slots.Length; i++)
        {
            var connection = _slots[(start + i) % _slots.Length].Current;
            if (connection is not null)
            {
                return connection.Send(args, _commandTimeoutMs);
            }
        }

        return Task.FromException<RespValue>(NotConnected());
    }

    /// <inheritdoc/>
    public Task PingAsync() => ExecuteAsync(RedisCommands.Ping);

    /// <inheritdoc/>
    public async Task<byte[]?> GetAsync(string key)
    {
        var reply = await ExecuteAsync(RedisCommands.Get, key);
        return reply.IsNull ? null : reply.Bytes.ToArray();
    }

    /// <inheritdoc/>
    public async Task<bool> SetAsync(string key, RedisArg value, TimeSpan? expiry = null, bool onlyIfNotExists = false)
    {
        RedisArg[] args = (expiry, onlyIfNotExists) switch
        {
            (null, false) => [RedisCommands.Set, key, value],
            (null, true) => [RedisCommands.Set, key, value, RedisCommands.Nx],
            ({ } px, false) => [RedisCommands.Set, key, value, RedisCommands.Px, Milliseconds(px)],
            ({ } px, true) => [RedisCommands.Set, key, value, RedisCommands.Nx, RedisCommands.Px, Milliseconds(px)],
        };

        // OK when set; a nil bulk reply when NX found the key.
        var reply = await ExecuteAsync(args);
        return !reply.IsNull;
    }

    /// <inheritdoc/>
    public async Task<long> DeleteAsync(params string[] keys)
    {
        var args = new RedisArg[keys.Length + 1];
        args[0] = RedisCommands.Del;
        for (var i = 0; i < keys.Length; i++)
        {
            args[i + 1] = keys[i];
        }

        return (await ExecuteAsync(args)).Integer;
    }

    /// <inheritdoc/>
    public async Task<long> IncrementAsync(string key) => (await ExecuteAsync(RedisCommands.Incr, key)).Integer;

    /// <inheritdoc/>
    public async Task<bool> ExpireAsync(string key, TimeSpan expiry) =>
        (await ExecuteAsync(RedisCommands.PExpire, key, Milliseconds(expiry))).Integer == 1;

    /// <inheritdoc/>
    public async Task<RespValue> EvalAsync(RedisScript script, RedisArg[] keys, RedisArg[] args)
    {
        var command = new RedisArg[3 + keys.Length + args.Length];
        command[0] = RedisCommands.EvalSha;
        command[1] = script.Sha1;
        command[2] = keys.Length;
        keys.CopyTo(command, 3);
        args.CopyTo(command, 3 + keys.Length);
        try
        {
            return await ExecuteAsync(command);
        }
        catch (RedisServerException ex) when (ex.IsNoScript)
        {
            // The script cache is empty (SCRIPT FLUSH, restart, failover): load once and retry. Concurrent
            // callers may load it too; SCRIPT LOAD is idempotent.
            await ExecuteAsync(RedisCommands.Script, RedisCommands.Load, script.SourceBytes);
            return await ExecuteAsync(command);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_timeoutTimer is not null)
        {
            await _timeoutTimer.DisposeAsync();
        }

        foreach (var slot in _slots)
        {
            slot.Current?.Close();
        }

        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }

    private RedisConnectionException NotConnected()
    {
        var reason = _slots[0].LastError ?? "connecting";
        return new RedisConnectionException($"Not connected to Redis at {Address} ({reason})");
    }

    private void CheckTimeouts()
    {
        var now = Environment.TickCount64;
        foreach (var slot in _slots)
        {
            slot.Current?.CheckTimeouts(now, _staleAfterMs);
        }
    }

    private static long Milliseconds(TimeSpan span) => Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds));
}
