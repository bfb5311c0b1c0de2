using System.Buffers.Text;

namespace Gatehouse.Redis.Protocol;

/// <summary>Thrown when the server sends bytes that are not RESP2: the connection cannot be trusted any more.</summary>
public sealed class RespProtocolException(string message) : Exception(message);

/// <summary>
/// Incremental RESP2 parser over a span (no sockets): <see cref="TryParse"/> either consumes one whole reply or
/// consumes nothing, so a reader keeps unparsed bytes and calls again when more arrive (a frame split over any
/// number of reads).
/// </summary>
/// <remarks>
/// Frames are re-scanned from their first byte after a partial read; replies here are small (script results,
/// counters), so the rescans cost less than keeping a resumable state machine. Nesting is bounded to stop a
/// hostile or corrupt stream from overflowing the stack.
/// </remarks>
public static class RespParser
{
    private const int MaxDepth = 32;

    /// <summary>Largest bulk string accepted (Redis' own proto-max-bulk-len default is 512 MB).</summary>
    public const int MaxBulkLength = 512 * 1024 * 1024;

    private static readonly byte[] Ok = "OK"u8.ToArray();
    private static readonly byte[] Pong = "PONG"u8.ToArray();

    /// <summary>Parses one reply from the start of <paramref name="buffer"/>.</summary>
    /// <returns>False when the buffer holds only part of a reply (nothing consumed).</returns>
    /// <exception cref="RespProtocolException">The bytes are not RESP2.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out RespValue value, out int consumed)
    {
        consumed = 0;
        return TryParse(buffer, ref consumed, 0, out value);
    }

    private static bool TryParse(ReadOnlySpan<byte> buffer, ref int position, int depth, out RespValue value)
    {
        value = default;
        if (position >= buffer.Length)
        {
            return false;
        }

        var start = position;
        var prefix = buffer[position];
        if (!TryReadLine(buffer, position + 1, out var line, out var next))
        {
            return false;
        }

        switch (prefix)
        {
            case (byte)'+':
                value = RespValue.SimpleString(Intern(line));
                break;
            case (byte)'-':
                value = RespValue.Error(line.ToArray());
                break;
            case (byte)':':
                value = RespValue.FromInteger(ParseInteger(line));
                break;
            case (byte)'$':
                var length = ParseInteger(line);
                if (length == -1)
                {
                    value = RespValue.NullBulk;
                    break;
                }

                if (length < 0 || length > MaxBulkLength)
                {
                    throw new RespProtocolException($"Invalid bulk string length {length}");
                }

                if (buffer.Length - next < length + 2)
                {
                    return false;
                }

                var data = buffer.Slice(next, (int)length);
                if (buffer[next + (int)length] != '\r' || buffer[next + (int)length + 1] != '\n')
                {
                    throw new RespProtocolException("Bulk string not terminated by CRLF");
                }

                value = RespValue.Bulk(data.ToArray());
                next += (int)length + 2;
                break;
            case (byte)'*':
                var count = ParseInteger(line);
                if (count == -1)
                {
                    value = RespValue.NullArray;
                    break;
                }

                if (count < 0 || count > int.MaxValue / 4)
                {
                    throw new RespProtocolException($"Invalid array length {count}");
                }

                // Every element takes at least 3 bytes ("+\r\n"): a count the buffered bytes cannot hold is not
                // complete yet, and must not allocate its item array before the data is there.
                if (count * 3 > buffer.Length - next)
                {
                    return false;
                }

                if (depth >= MaxDepth)
                {
                    throw new RespProtocolException($"Arrays nested deeper than {MaxDepth}");
                }

                var items = count == 0 ? [] : new RespValue[count];
                for (var i = 0; i < count; i++)
                {
                    if (!TryParse(buffer, ref next, depth + 1, out items[i]))
                    {
                        position = start;
                        return false;
                    }
                }

                value = RespValue.FromArray(items);
                break;
            default:
                throw new RespProtocolException($"Unknown RESP type byte 0x{prefix:x2}");
        }

        position = next;
        return true;
    }

    /// <summary>The bytes up to the next CRLF, starting at <paramref name="from"/>.</summary>
    private static bool TryReadLine(ReadOnlySpan<byte> buffer, int from, out ReadOnlySpan<byte> line, out int next)
    {
        var rest = buffer[from..];
        var lf = rest.IndexOf((byte)'\n');
        if (lf < 0)
        {
            line = default;
            next = 0;
            return false;
        }

        if (lf == 0 || rest[lf - 1] != '\r')
        {
            throw new RespProtocolException("Line not terminated by CRLF");
        }

        line = rest[..(lf - 1)];
        next = from + lf + 1;
        return true;
    }

    private static long ParseInteger(ReadOnlySpan<byte> line)
    {
        if (!Utf8Parser.TryParse(line, out long value, out var consumed) || consumed != line.Length)
        {
            throw new RespProtocolException("Invalid integer in RESP header");
        }

        return value;
    }

    /// <summary>The two status replies seen on every connection share one array each instead of a copy per reply.</summary>
    private static byte[] Intern(ReadOnlySpan<byte> line) =>
        line.SequenceEqual(Ok) ? Ok : line.SequenceEqual(Pong) ? Pong : line.ToArray();
}
