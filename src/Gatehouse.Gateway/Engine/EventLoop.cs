using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Engine;

/// <summary>
/// One I/O thread with its own epoll instance. Sockets are registered edge-triggered for input and output once, so
/// the loop never changes an interest set; other threads hand it work through a queue and wake it with an eventfd.
/// Everything that touches the slot table runs on the loop thread.
/// </summary>
internal sealed unsafe partial class EventLoop : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int MaxEvents = 256;

    // Work taken from the queue per turn: a connection that re-posts itself (read budget used up) cannot starve
    // the sockets epoll reports.
    private const int MaxWorkPerTurn = 512;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(ILoopSocket Socket, LoopWork Work)> _work = new();
    private readonly ILogger _logger;
    private ILoopSocket?[] _slots = new ILoopSocket?[64];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot;
    private int _wakePending;
    private volatile bool _stopping;
    private volatile bool _stopped;

    [ThreadStatic]
    private static EventLoop? t_current;

    private static int s_lastGeneration;

    public EventLoop(int index, ILogger logger)
    {
        _logger = logger;
        _epoll = LinuxNative.EpollCreate(LinuxNative.EpollCloexec);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _wakeFd = LinuxNative.EventFd(0, LinuxNative.EfdCloexec | LinuxNative.EfdNonblock);
        if (_wakeFd < 0)
        {
            LinuxNative.Close(_epoll);
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var ev = new LinuxNative.EpollEvent { Events = LinuxNative.EpollIn, Data = WakeToken };
        LinuxNative.EpollCtl(_epoll, LinuxNative.EpollCtlAdd, _wakeFd, &ev);
        Index = index;
        _thread = new Thread(Run) { IsBackground = true, Name = $"gatehouse-loop-{index}" };
        _thread.Start();
    }

    public int Index { get; }

    /// <summary>True on the loop's own thread, where work may run at once instead of being queued.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>The loop whose thread this is, or null on any other thread.</summary>
    public static EventLoop? Current => t_current;

    /// <summary>True once the loop has made its last turn: nothing queued to it runs any more.</summary>
    public bool Stopped => _stopped;

    /// <summary>A generation for a new socket (shared by every loop, so slot reuse is always told apart).</summary>
    public static uint NextGeneration() => (uint)Interlocked.Increment(ref s_lastGeneration);

    /// <summary>Queues <paramref name="work"/> for <paramref name="socket"/> on the loop and wakes it if needed.</summary>
    public void Post(ILoopSocket socket, LoopWork work)
    {
        _work.Enqueue((socket, work));

        // The loop drains the queue after every turn, so only a post from another thread needs to wake it, and only
        // one wake-up is outstanding at a time.
        if (!IsLoopThread && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Wake();
        }
    }

    private void Wake()
    {
        ulong one = 1;
        LinuxNative.Write(_wakeFd, &one, sizeof(ulong));
    }

    private void Run()
    {
        t_current = this;
        var events = stackalloc LinuxNative.EpollEvent[MaxEvents];
        while (!_stopping)
        {
            var timeout = _work.IsEmpty ? -1 : 0;
            var count = LinuxNative.EpollWait(_epoll, events, MaxEvents, timeout);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxNative.EIntr)
                {
                    continue;
                }

                LogEpollFailed(_logger, Index, errno);
                return;
            }

            for (var i = 0; i < count; i++)
            {
                var data = events[i].Data;
                if (data == WakeToken)
                {
                    ulong value;
                    LinuxNative.Read(_wakeFd, &value, sizeof(ulong));
                    Volatile.Write(ref _wakePending, 0);
                    continue;
                }

                var connection = Lookup(data);
                if (connection is null)
                {
                    continue;
                }

                var flags = events[i].Events;
                try
                {
                    if ((flags & (LinuxNative.EpollOut | LinuxNative.EpollErr | LinuxNative.EpollHup)) != 0)
                    {
                        connection.OnWritable();
                    }

                    if ((flags & (LinuxNative.EpollIn | LinuxNative.EpollRdHup | LinuxNative.EpollErr | LinuxNative.EpollHup)) != 0)
                    {
                        connection.OnReadable((flags & (LinuxNative.EpollRdHup | LinuxNative.EpollErr | LinuxNative.EpollHup)) != 0);
                    }
                }
                catch (Exception e)
                {
                    LogConnectionFault(_logger, connection.ConnectionId, e);
                    connection.OnLoopFault(e);
                }
            }

            RunQueuedWork();
        }

        // Stopped with sockets still registered (the host is going away): close them so nobody waits on a loop
        // that will not turn again.
        _stopped = true;
        foreach (var socket in _slots)
        {
            socket?.CloseOnStop();
        }
    }

    private void RunQueuedWork()
    {
        for (var i = 0; i < MaxWorkPerTurn && _work.TryDequeue(out var item); i++)
        {
            try
            {
                if (item.Work == LoopWork.Register)
                {
                    Register(item.Socket);
                }
                else
                {
                    item.Socket.RunWork(item.Work);
                }
            }
            catch (Exception e)
            {
                LogConnectionFault(_logger, item.Socket.ConnectionId, e);
                item.Socket.OnLoopFault(e);
            }
        }
    }

    private void Register(ILoopSocket connection)
    {
        int slot;
        if (!_freeSlots.TryPop(out slot))
        {
            slot = _nextSlot++;
            if (slot == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
            }
        }

        _slots[slot] = connection;
        connection.Slot = slot;

        // Edge-triggered input and output in one registration: a read that returns less than it asked for has
        // emptied the socket, so the loop never makes the extra read that only finds EAGAIN, and output readiness
        // needs no interest change when a send fills the socket buffer.
        var ev = new LinuxNative.EpollEvent
        {
            Events = LinuxNative.EpollIn | LinuxNative.EpollOut | LinuxNative.EpollRdHup | LinuxNative.EpollEt,
            Data = (ulong)(uint)slot | ((ulong)connection.Generation << 32),
        };
        if (LinuxNative.EpollCtl(_epoll, LinuxNative.EpollCtlAdd, connection.Fd, &ev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Release(connection);
            connection.OnRegistrationFailed(errno);
        }
    }

    private ILoopSocket? Lookup(ulong data)
    {
        var slot = (int)(uint)data;
        if ((uint)slot >= (uint)_slots.Length)
        {
            return null;
        }

        var connection = _slots[slot];
        return connection is not null && connection.Generation == (uint)(data >> 32) ? connection : null;
    }

    /// <summary>Removes a socket from epoll and the slot table before it is closed (loop thread only).</summary>
    public void Release(ILoopSocket connection)
    {
        var slot = connection.Slot;
        if (_stopping || slot < 0 || !ReferenceEquals(_slots[slot], connection))
        {
            return;
        }

        LinuxNative.EpollEvent ev = default;
        LinuxNative.EpollCtl(_epoll, LinuxNative.EpollCtlDel, connection.Fd, &ev);
        _slots[slot] = null;
        connection.Slot = -1;
        _freeSlots.Push(slot);
    }

    public void Dispose()
    {
        _stopping = true;
        Wake();
        if (!IsLoopThread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        LinuxNative.Close(_wakeFd);
        LinuxNative.Close(_epoll);
    }

    [LoggerMessage(EventId = 4801, Level = LogLevel.Critical, Message = "Event loop {Loop} stopped: epoll_wait failed with errno {Errno}")]
    private static partial void LogEpollFailed(ILogger logger, int loop, int errno);

    [LoggerMessage(EventId = 4802, Level = LogLevel.Error, Message = "Event loop fault on connection {ConnectionId}; connection aborted")]
    private static partial void LogConnectionFault(ILogger logger, string connectionId, Exception exception);
}

/// <summary>Work another thread hands to a socket's loop.</summary>
internal enum LoopWork : byte
{
    Register,
    Read,
    ResumeRead,
    Close,
}
