namespace Gatehouse.Gateway.Engine;

/// <summary>
/// A socket registered with an <see cref="EventLoop"/>: a client connection (<see cref="LoopConnection"/>) or an
/// upstream connection (<see cref="Upstream.LoopUpstreamStream"/>). The loop calls these members on its own thread.
/// </summary>
internal interface ILoopSocket
{
    /// <summary>The socket's file descriptor, valid until the loop closes it.</summary>
    int Fd { get; }

    /// <summary>Tells this socket's epoll events from those of an earlier socket in the same slot.</summary>
    uint Generation { get; }

    /// <summary>Index in the loop's slot table, or -1 when not registered.</summary>
    int Slot { get; set; }

    /// <summary>Names the socket in the loop's fault log.</summary>
    string ConnectionId { get; }

    /// <summary>Input readiness; <paramref name="hangUp"/> when the peer closed or the socket failed.</summary>
    void OnReadable(bool hangUp);

    /// <summary>Output readiness (also reported on errors and hang-ups).</summary>
    void OnWritable();

    /// <summary>Work another thread queued for this socket with <see cref="EventLoop.Post"/>.</summary>
    void RunWork(LoopWork work);

    /// <summary>epoll refused the socket: it will never see readiness.</summary>
    void OnRegistrationFailed(int errno);

    /// <summary>A handler of this socket threw on the loop: end the socket, the loop goes on.</summary>
    void OnLoopFault(Exception error);

    /// <summary>The loop stopped with the socket still registered.</summary>
    void CloseOnStop();
}
