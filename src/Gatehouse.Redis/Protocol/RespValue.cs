using System.Text;

namespace Gatehouse.Redis.Protocol;

/// <summary>The RESP2 reply types (https://redis.io/docs/latest/develop/reference/protocol-spec/).</summary>
public enum RespType
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
}

/// <summary>
/// One parsed RESP2 reply. Nil bulk strings (<c>$-1</c>) and nil arrays (<c>*-1</c>) keep their type and have
/// <see cref="IsNull"/> set, so a caller can tell "no such key" from an empty value.
/// </summary>
public readonly struct RespValue
{
    private readonly byte[]? _bytes;
    private readonly RespValue[]? _items;

    private RespValue(RespType type, long integer, byte[]? bytes, RespValue[]? items, bool isNull)
    {
        Type = type;
        Integer = integer;
        _bytes = bytes;
        _items = items;
        IsNull = isNull;
    }

    public RespType Type { get; }

    public bool IsNull { get; }

    /// <summary>The value of an integer reply.</summary>
    public long Integer { get; }

    /// <summary>Payload of a simple string, error or bulk string (empty for nil).</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Elements of an array (empty for nil).</summary>
    public ReadOnlySpan<RespValue> Items => _items;

    public int Count => _items?.Length ?? 0;

    public RespValue this[int index] => _items![index];

    public bool IsError => Type == RespType.Error;

    public static RespValue SimpleString(byte[] text) => new(RespType.SimpleString, 0, text, null, false);

    public static RespValue Error(byte[] text) => new(RespType.Error, 0, text, null, false);

    public static RespValue FromInteger(long value) => new(RespType.Integer, value, null, null, false);

    public static RespValue Bulk(byte[] data) => new(RespType.BulkString, 0, data, null, false);

    public static RespValue FromArray(RespValue[] items) => new(RespType.Array, 0, null, items, false);

    public static readonly RespValue NullBulk = new(RespType.BulkString, 0, null, null, true);

    public static readonly RespValue NullArray = new(RespType.Array, 0, null, null, true);

    /// <summary>The text of a string or error reply, or the number of an integer reply; null for nil.</summary>
    public string? AsString() => Type switch
    {
        RespType.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespType.Array => null,
        _ => IsNull ? null : Encoding.UTF8.GetString(_bytes!),
    };

    /// <summary>An integer reply, or a string reply holding a decimal integer.</summary>
    public long AsInt64()
    {
        if (Type == RespType.Integer)
        {
            return Integer;
        }

        if (Type is RespType.BulkString or RespType.SimpleString && !IsNull
            && System.Buffers.Text.Utf8Parser.TryParse(_bytes, out long value, out var consumed) && consumed == _bytes!.Length)
        {
            return value;
        }

        throw new InvalidCastException($"RESP {Type} reply is not an integer");
    }

    public override string ToString() => Type switch
    {
        RespType.Array => IsNull ? "(nil array)" : $"array[{Count}]",
        RespType.Error => $"error: {AsString()}",
        _ => IsNull ? "(nil)" : AsString()!,
    };
}
