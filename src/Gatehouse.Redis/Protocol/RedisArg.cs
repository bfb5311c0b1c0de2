using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Gatehouse.Redis.Protocol;

/// <summary>
/// One argument of a command, kept in its original form (bytes, text or integer) and encoded straight into the
/// output buffer when the command is written: no intermediate string or byte array per argument.
/// </summary>
public readonly struct RedisArg
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly string? _text;
    private readonly long _integer;
    private readonly byte _kind; // 0 bytes, 1 text, 2 integer

    private RedisArg(ReadOnlyMemory<byte> bytes, string? text, long integer, byte kind)
    {
        _bytes = bytes;
        _text = text;
        _integer = integer;
        _kind = kind;
    }

    public static implicit operator RedisArg(string text) => new(default, text ?? throw new ArgumentNullException(nameof(text)), 0, 1);

    public static implicit operator RedisArg(long value) => new(default, null, value, 2);

    public static implicit operator RedisArg(byte[] bytes) => new(bytes, null, 0, 0);

    public static implicit operator RedisArg(ReadOnlyMemory<byte> bytes) => new(bytes, null, 0, 0);

    /// <summary>Writes the argument as a RESP bulk string: <c>$len\r\n data \r\n</c>.</summary>
    internal void WriteTo(IBufferWriter<byte> output)
    {
        switch (_kind)
        {
            case 1:
                var length = Encoding.UTF8.GetByteCount(_text!);
                RespWriter.WriteHeader(output, (byte)'$', length);
                var span = output.GetSpan(length + 2);
                var written = Encoding.UTF8.GetBytes(_text, span);
                span[written] = (byte)'\r';
                span[written + 1] = (byte)'\n';
                output.Advance(written + 2);
                break;
            case 2:
                Span<byte> digits = stackalloc byte[20];
                Utf8Formatter.TryFormat(_integer, digits, out var count);
                RespWriter.WriteHeader(output, (byte)'$', count);
                RespWriter.WriteWithCrlf(output, digits[..count]);
                break;
            default:
                RespWriter.WriteHeader(output, (byte)'$', _bytes.Length);
                RespWriter.WriteWithCrlf(output, _bytes.Span);
                break;
        }
    }

    public override string ToString() => _kind switch
    {
        1 => _text!,
        2 => _integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Encoding.UTF8.GetString(_bytes.Span),
    };
}
