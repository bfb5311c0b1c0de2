namespace Gatehouse.Redis.Protocol;

/// <summary>Command names and fixed arguments encoded once, so writing a command allocates no string.</summary>
internal static class RedisCommands
{
    public static readonly byte[] Auth = "AUTH"u8.ToArray();
    public static readonly byte[] Select = "SELECT"u8.ToArray();
    public static readonly byte[] Ping = "PING"u8.ToArray();
    public static readonly byte[] Get = "GET"u8.ToArray();
    public static readonly byte[] Set = "SET"u8.ToArray();
    public static readonly byte[] Del = "DEL"u8.ToArray();
    public static readonly byte[] Incr = "INCR"u8.ToArray();
    public static readonly byte[] PExpire = "PEXPIRE"u8.ToArray();
    public static readonly byte[] EvalSha = "EVALSHA"u8.ToArray();
    public static readonly byte[] Script = "SCRIPT"u8.ToArray();
    public static readonly byte[] Load = "LOAD"u8.ToArray();
    public static readonly byte[] Px = "PX"u8.ToArray();
    public static readonly byte[] Nx = "NX"u8.ToArray();
}
