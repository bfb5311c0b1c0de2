using System.Buffers;
using System.Buffers.Text;

namespace Gatehouse.Redis.Protocol;

/// <summary>Encodes commands as RESP arrays of bulk strings, the only request form Redis takes over the wire.</summary>
public static class RespWriter
{
    /// <summary>Writes <c>*N\r\n</c> then each argument as a bulk string.</summary>
    public static void WriteCommand(IBufferWriter<byte> output, ReadOnlySpan<RedisArg> args)
    {
        WriteHeader(output, (byte)'*', args.Length);
        foreach (var arg in args)
        {
            arg.WriteTo(output);
        }
    }

    internal static void WriteHeader(IBufferWriter<byte> output, byte prefix, long number)
    {
        var span = output.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(number, span[1..], out var written);
        span[written + 1] = (byte)'\r';
        span[written + 2] = (byte)'\n';
        output.Advance(written + 3);
    }

    internal static void WriteWithCrlf(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        var span = output.GetSpan(data.Length + 2);
        data.CopyTo(span);
        span[data.Length] = (byte)'\r';
        span[data.Length + 1] = (byte)'\n';
        output.Advance(data.Length + 2);
    }
}
