using System.Threading.Channels;
using Gatehouse.ZooKeeper.Connection;
using Gatehouse.ZooKeeper.Wire;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ZooKeeper;

/// <summary>
/// A ZooKeeper client on the wire protocol: one session kept alive across connection losses and server changes,
/// pipelined requests, one-shot watches, and a new session started by itself when the old one expires.
/// </summary>
/// <remarks>
/// Layers: <c>Wire/</c> (jute records, no sockets), <c>Connection/</c> (one TCP connection: handshake, pipelined
/// writes, reads matched by xid, pings), and this class (session loop, API). The session loop lives in
/// <c>ZooKeeperClient.Session.cs</c>. All members are thread-safe. Callbacks (watches, <see cref="StateChanged"/>)
/// run one at a time, in order, on a dispatcher of their own.
/// </remarks>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private readonly ZooKeeperClientOptions _options;
    private readonly ConnectionString _connectionString;
    private readonly (string Host, int Port)[] _servers;
    private readonly string _chroot;
    private readonly ILogger _logger;
    private readonly WatchRegistry _watches = new();
    private readonly EventDispatcher _dispatcher;

    // Requests wait here until a connection's write loop takes them; it outlives connections, so requests made
    // while disconnected go out on the next connection.
    private readonly Channel<ZooKeeperRequest> _outgoing =
        Channel.CreateUnbounded<ZooKeeperRequest>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    private ZooKeeperClient(ZooKeeperClientOptions options)
    {
        _options = options;
        _connectionString = ConnectionString.Parse(options.ConnectString);
        _servers = [.. _connectionString.Servers];
        if (options.ShuffleServers)
        {
            Random.Shared.Shuffle(_servers);
        }

        _chroot = _connectionString.Chroot;
        _logger = options.Logger;
        _dispatcher = new EventDispatcher(_logger);
        _sessionId = options.SessionId;
        _sessionPassword = options.SessionPassword ?? new byte[16];
    }

    /// <summary>
    /// State changes (Connected, Disconnected, Expired, Closed), delivered in order with watch events on the
    /// callback dispatcher. Subscribe before the state matters: <see cref="ConnectAsync"/> returns once connected.
    /// </summary>
    public event Action<ZooKeeperStateChange>? StateChanged;

    /// <summary>The current state.</summary>
    public ZooKeeperState State => _state;

    /// <summary>The server (<c>host:port</c>) of the current connection; null while not connected.</summary>
    public string? ConnectedServer => _connectedServer;

    /// <summary>The current session id (0 before the first connection).</summary>
    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>The current session's password; with <see cref="SessionId"/> it lets another client resume the session.</summary>
    public byte[] SessionPassword => (byte[])_sessionPassword.Clone();

    /// <summary>The session timeout the server granted.</summary>
    public TimeSpan SessionTimeout => TimeSpan.FromMilliseconds(_negotiatedTimeoutMs);

    /// <summary>Starts a client and waits until it has a session on one of the servers.</summary>
    /// <exception cref="FormatException">The connect string is malformed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before any server accepted (the client is closed then).</exception>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new ZooKeeperClient(options);
        client.Start();
        try
        {
            await client._firstConnected.Task.WaitAsync(cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a node with the open ACL (world:anyone, all permissions).</summary>
    /// <returns>The created path (for sequential modes, with the server's 10-digit suffix).</returns>
    /// <exception cref="NodeExistsException">The node exists.</exception>
    /// <exception cref="NoNodeException">The parent does not exist (see <see cref="ZooKeeperClientExtensions.EnsurePathAsync"/>).</exception>
    /// <exception cref="NoChildrenForEphemeralsException">The parent is ephemeral.</exception>
    public Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path, sequential: mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential);
        var serverPath = ToServerPath(path);
        var body = ZooKeeperRequest.Serialize(w => Records.WriteCreate(w, serverPath, data.Span, mode));
        return ExecuteAsync(new ZooKeeperRequest<string>(OpCode.Create, path, body, (code, ref reader) =>
        {
            Records.ThrowIfFailed(code, path);
            return ToClientPath(reader.ReadString());
        }), cancellationToken);
    }

    /// <summary>Deletes a node if its data version is <paramref name="version"/> (-1: any version).</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The version does not match.</exception>
    /// <exception cref="NotEmptyException">The node has children.</exception>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path);
        var serverPath = ToServerPath(path);
        var body = ZooKeeperRequest.Serialize(w => Records.WritePathVersion(w, serverPath, version));
        return ExecuteAsync(new ZooKeeperRequest<bool>(OpCode.Delete, path, body, (code, ref reader) =>
        {
            Records.ThrowIfFailed(code, path);
            return true;
        }), cancellationToken);
    }

    /// <summary>The node's metadata, or null when it does not exist.</summary>
    /// <param name="path">The node.</param>
    /// <param name="watcher">Optional one-shot watch: fires on the node's creation (if missing), data change or deletion.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    public Task<ZNodeStat?> ExistsAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path);
        var serverPath = ToServerPath(path);
        var body = ZooKeeperRequest.Serialize(w => Records.WritePathWatch(w, serverPath, watcher is not null));
        return ExecuteAsync(new ZooKeeperRequest<ZNodeStat?>(OpCode.Exists, path, body, (code, ref reader) =>
        {
            if (code == ZooKeeperErrorCode.NoNode)
            {
                return null;
            }

            Records.ThrowIfFailed(code, path);
            return ZNodeStat.Read(ref reader);
        })
        { Watcher = watcher, WatchKind = WatchKind.Data, Watches = _watches }, cancellationToken);
    }

    /// <summary>The node's data and metadata.</summary>
    /// <param name="path">The node.</param>
    /// <param name="watcher">Optional one-shot watch: fires on the node's data change or deletion.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    /// <exception cref="NoNodeException">The node does not exist (no watch is registered then).</exception>
    public Task<ZNodeData> GetDataAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path);
        var serverPath = ToServerPath(path);
        var body = ZooKeeperRequest.Serialize(w => Records.WritePathWatch(w, serverPath, watcher is not null));
        return ExecuteAsync(new ZooKeeperRequest<ZNodeData>(OpCode.GetData, path, body, (code, ref reader) =>
        {
            Records.ThrowIfFailed(code, path);
            var data = reader.ReadBuffer();
            return new ZNodeData(data, ZNodeStat.Read(ref reader));
        })
        { Watcher = watcher, WatchKind = WatchKind.Data, Watches = _watches }, cancellationToken);
    }

    /// <summary>Sets a node's data if its version is <paramref name="version"/> (-1: any version).</summary>
    /// <returns>The node's new metadata.</returns>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The version does not match.</exception>
    public Task<ZNodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path);
        var serverPath = ToServerPath(path);
        var body = ZooKeeperRequest.Serialize(w => Records.WriteSetData(w, serverPath, data.Span, version));
        return ExecuteAsync(new ZooKeeperRequest<ZNodeStat>(OpCode.SetData, path, body, (code, ref reader) =>
        {
            Records.ThrowIfFailed(code, path);
            return ZNodeStat.Read(ref reader);
        }), cancellationToken);
    }

    /// <summary>The node's children (names, unordered) and its metadata.</summary>
    /// <param name="path">The node.</param>
    /// <param name="watcher">Optional one-shot watch: fires when a child is created or deleted, or the node is deleted.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    /// <exception cref="NoNodeException">The node does not exist (no watch is registered then).</exception>
    public Task<ZNodeChildren> GetChildrenAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        PathUtilities.Validate(path);
        var serverPath = ToServerPath(path);
        var body = ZooKeeperRequest.Serialize(w => Records.WritePathWatch(w, serverPath, watcher is not null));
        return ExecuteAsync(new ZooKeeperRequest<ZNodeChildren>(OpCode.GetChildren2, path, body, (code, ref reader) =>
        {
            Records.ThrowIfFailed(code, path);
            var children = reader.ReadStrings();
            return new ZNodeChildren(children, ZNodeStat.Read(ref reader));
        })
        { Watcher = watcher, WatchKind = WatchKind.Child, Watches = _watches }, cancellationToken);
    }

    /// <summary>Applies all operations atomically, or none.</summary>
    /// <returns>One result per operation, in order.</returns>
    /// <exception cref="MultiFailedException">An operation failed; nothing was applied.</exception>
    public Task<IReadOnlyList<MultiResult>> MultiAsync(IReadOnlyList<MultiOp> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var serverPaths = new string[operations.Count];
        for (var i = 0; i < operations.Count; i++)
        {
            PathUtilities.Validate(operations[i].Path, sequential: true);
            serverPaths[i] = ToServerPath(operations[i].Path);
        }

        var body = ZooKeeperRequest.Serialize(w =>
        {
            for (var i = 0; i < operations.Count; i++)
            {
                WriteMultiHeader(w, (int)operations[i].Code, done: false, error: -1);
                operations[i].Write(w, serverPaths[i]);
            }

            WriteMultiHeader(w, -1, done: true, error: -1);
        });
        return ExecuteAsync(new ZooKeeperRequest<IReadOnlyList<MultiResult>>(OpCode.Multi, null, body,
            (code, ref reader) => ReadMultiResponse(code, ref reader, operations)), cancellationToken);
    }

    private static void WriteMultiHeader(JuteWriter writer, int type, bool done, int error)
    {
        writer.WriteInt(type);
        writer.WriteBool(done);
        writer.WriteInt(error);
    }

    private IReadOnlyList<MultiResult> ReadMultiResponse(ZooKeeperErrorCode code, ref JuteReader reader, IReadOnlyList<MultiOp> operations)
    {
        if (reader.Remaining == 0)
        {
            Records.ThrowIfFailed(code, null);
        }

        var results = new List<MultiResult>(operations.Count);
        MultiFailedException? failure = null;
        for (var index = 0; ; index++)
        {
            var type = (OpCode)reader.ReadInt();
            var done = reader.ReadBool();
            reader.ReadInt(); // err of the header; the error record below carries the code
            if (done)
            {
                break;
            }

            var path = index < operations.Count ? operations[index].Path : "";
            switch (type)
            {
                case OpCode.Create:
                    results.Add(new MultiResult(ToClientPath(reader.ReadString()), null));
                    break;
                case OpCode.Create2:
                    var created = ToClientPath(reader.ReadString());
                    results.Add(new MultiResult(created, ZNodeStat.Read(ref reader)));
                    break;
                case OpCode.SetData:
                    results.Add(new MultiResult(path, ZNodeStat.Read(ref reader)));
                    break;
                case OpCode.Error:
                    // Operations after the failing one report RuntimeInconsistency (rolled back), those before Ok.
                    var error = (ZooKeeperErrorCode)reader.ReadInt();
                    if (failure is null && error is not ZooKeeperErrorCode.Ok and not ZooKeeperErrorCode.RuntimeInconsistency)
                    {
                        failure = new MultiFailedException(error, path, index);
                    }

                    results.Add(new MultiResult(path, null));
                    break;
                default:
                    results.Add(new MultiResult(path, null)); // delete, check: no body
                    break;
            }
        }

        if (failure is not null)
        {
            throw failure;
        }

        Records.ThrowIfFailed(code, null);
        return results;
    }

    private async Task<T> ExecuteAsync<T>(ZooKeeperRequest<T> request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closeRequested, this);
        _outgoing.Writer.TryWrite(request);
        try
        {
            return await request.Task.WaitAsync(_options.RequestTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            request.Abandon();
            throw new ZooKeeperTimeoutException(request.Path, _options.RequestTimeout);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            request.Abandon();
            throw;
        }
    }

    private string ToServerPath(string path) => _chroot.Length == 0 ? path : path == "/" ? _chroot : _chroot + path;

    private string ToClientPath(string serverPath)
    {
        if (_chroot.Length == 0)
        {
            return serverPath;
        }

        if (serverPath == _chroot)
        {
            return "/";
        }

        return serverPath.StartsWith(_chroot + "/", StringComparison.Ordinal) ? serverPath[_chroot.Length..] : serverPath;
    }
}
