using System.Runtime.InteropServices;

namespace Gatehouse.Gateway.Engine;

/// <summary>The few libc calls the event-loop engine makes: epoll, eventfd and non-blocking socket I/O.</summary>
internal static unsafe partial class LinuxNative
{
    private const string Libc = "libc";

    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 0x80000000;

    public const int EfdCloexec = 0x80000;
    public const int EfdNonblock = 0x800;

    public const int MsgPeek = 0x2;
    public const int MsgNoSignal = 0x4000;
    public const int ShutRdWr = 2;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EPipe = 32;
    public const int EConnReset = 104;
    public const int EIsConn = 106;
    public const int ETimedOut = 110;
    public const int EConnRefused = 111;
    public const int EHostUnreach = 113;
    public const int EAlready = 114;
    public const int EInProgress = 115;
    public const int ENetUnreach = 101;

    /// <summary>The kernel's <c>struct epoll_event</c>: packed to 12 bytes on x86-64 (the only layout used here).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>True where the engine can run: Linux on x86-64 (the packed epoll_event layout above).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nint count);

    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, void* buffer, nint length, int flags);

    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, void* buffer, nint length, int flags);

    [LibraryImport(Libc, EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(int fd, IoVec* iov, int count);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}
