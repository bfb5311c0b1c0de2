using System.Buffers.Binary;

namespace Gatehouse.Dubbo.Protocol;

/// <summary>Response status codes of the Dubbo 2 header (byte 3); only responses carry one.</summary>
public enum DubboStatus : byte
{
    /// <summary>20: the call completed; the body holds a value, null or an exception.</summary>
    Ok = 20,

    /// <summary>30: the client gave up waiting.</summary>
    ClientTimeout = 30,

    /// <summary>31: the provider's own timeout expired.</summary>
    ServerTimeout = 31,

    /// <summary>40: the provider could not decode the request.</summary>
    BadRequest = 40,

    /// <summary>50: the provider could not encode the response.</summary>
    BadResponse = 50,

    /// <summary>60: no such service (path, version, group) at the provider.</summary>
    ServiceNotFound = 60,

    /// <summary>70: the service failed outside the method (or, for some providers, the method threw).</summary>
    ServiceError = 70,

    /// <summary>80: the provider failed.</summary>
    ServerError = 80,

    /// <summary>90: the client failed.</summary>
    ClientError = 90,

    /// <summary>100: the provider's thread pool is exhausted.</summary>
    ServerThreadPoolExhausted = 100,
}

/// <summary>The 16-byte Dubbo 2 header: magic 0xdabb, flags, status, request id, body length.</summary>
/// <param name="Flags">Request (0x80), two-way (0x40), event (0x20) bits and the serialization id (low 5 bits).</param>
/// <param name="Status">Responses only; 0 on requests.</param>
/// <param name="RequestId">Correlates a response with its request.</param>
/// <param name="BodyLength">Length of the body that follows.</param>
public readonly record struct DubboHeader(byte Flags, byte Status, long RequestId, int BodyLength)
{
    /// <summary>Length of the header.</summary>
    public const int Length = 16;

    /// <summary>The magic number that opens every frame.</summary>
    public const ushort Magic = 0xdabb;

    /// <summary>Request flag.</summary>
    public const byte FlagRequest = 0x80;

    /// <summary>Two-way flag: the request expects a response.</summary>
    public const byte FlagTwoWay = 0x40;

    /// <summary>Event flag: heartbeats (body null) and other events.</summary>
    public const byte FlagEvent = 0x20;

    /// <summary>Serialization id of hessian2.</summary>
    public const byte Hessian2 = 2;

    /// <summary>Largest body accepted: Dubbo's default payload limit (8 MiB).</summary>
    public const int MaxBodyLength = 8 * 1024 * 1024;

    /// <summary>True for requests (and request events such as heartbeats).</summary>
    public bool IsRequest => (Flags & FlagRequest) != 0;

    /// <summary>True when the request expects a response.</summary>
    public bool IsTwoWay => (Flags & FlagTwoWay) != 0;

    /// <summary>True for events (heartbeats).</summary>
    public bool IsEvent => (Flags & FlagEvent) != 0;

    /// <summary>The serialization id (2 for hessian2).</summary>
    public int SerializationId => Flags & 0x1f;

    /// <summary>Writes the header into the first 16 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Magic);
        destination[2] = Flags;
        destination[3] = Status;
        BinaryPrimitives.WriteInt64BigEndian(destination[4..], RequestId);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], BodyLength);
    }

    /// <summary>Parses a header; throws <see cref="DubboProtocolException"/> on a bad magic or body length.</summary>
    public static DubboHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Length)
        {
            throw new DubboProtocolException($"a Dubbo header is {Length} bytes, got {source.Length}");
        }

        var magic = BinaryPrimitives.ReadUInt16BigEndian(source);
        if (magic != Magic)
        {
            throw new DubboProtocolException($"bad magic 0x{magic:x4} (expected 0xdabb)");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(source[12..]);
        if (length is < 0 or > MaxBodyLength)
        {
            throw new DubboProtocolException($"body length {length} outside 0..{MaxBodyLength}");
        }

        return new DubboHeader(source[2], source[3], BinaryPrimitives.ReadInt64BigEndian(source[4..]), length);
    }
}

/// <summary>The peer broke the Dubbo protocol (bad magic, oversize body, undecodable body).</summary>
public sealed class DubboProtocolException(string message, Exception? inner = null) : IOException(message, inner);
