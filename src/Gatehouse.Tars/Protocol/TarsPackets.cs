using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Gatehouse.Tars.Codec;

namespace Gatehouse.Tars.Protocol;

/// <summary>Values of <c>iVersion</c>: how <c>sBuffer</c> is encoded.</summary>
public static class TarsVersion
{
    /// <summary>1: the Tars protocol proper, arguments by tag.</summary>
    public const short Tars = 1;

    /// <summary>2: TUP with type names (<c>map&lt;string, map&lt;string, vector&lt;byte&gt;&gt;&gt;</c>).</summary>
    public const short TupComplex = 2;

    /// <summary>3: simple TUP, named arguments (<c>map&lt;string, vector&lt;byte&gt;&gt;</c>).</summary>
    public const short TupSimple = 3;

    /// <summary>5: JSON arguments and results, decoded by the server itself.</summary>
    public const short Json = 5;
}

/// <summary>One call: what the request packet carries besides its version, id and timeout.</summary>
/// <param name="Version">How <paramref name="Buffer"/> is encoded (<see cref="TarsVersion"/>).</param>
/// <param name="Servant">The servant (object) name, e.g. <c>Test.HelloServer.HelloObj</c>.</param>
/// <param name="Function">The function name.</param>
/// <param name="Buffer">The encoded arguments (<c>sBuffer</c>).</param>
/// <param name="Context">Sent as the packet's <c>context</c> (headers, trace context); may be null.</param>
public sealed record TarsInvocation(short Version, string Servant, string Function, ReadOnlyMemory<byte> Buffer,
    IReadOnlyList<KeyValuePair<string, string>>? Context = null);

/// <summary>A decoded response: the return code, the encoded results and what came with them.</summary>
/// <param name="RequestId">The id of the request answered.</param>
/// <param name="Version">The version the server answered with.</param>
/// <param name="ReturnCode"><c>iRet</c> (or the TUP status <c>STATUS_RESULT_CODE</c>); 0 is success.</param>
/// <param name="ResultDesc"><c>sResultDesc</c> (or <c>STATUS_RESULT_DESC</c>); the server's error text.</param>
/// <param name="Buffer">The encoded results (<c>sBuffer</c>).</param>
/// <param name="Context">The server's context, when it sent one.</param>
public sealed record TarsResponse(int RequestId, short Version, int ReturnCode, string ResultDesc, byte[] Buffer,
    IReadOnlyDictionary<string, string>? Context);

/// <summary>Encodes request packets and decodes response packets with their 4-byte length framing.</summary>
/// <remarks>
/// Every packet is preceded by its length as a big-endian int32 that counts those 4 bytes too. A request is a
/// <c>RequestPacket</c> struct (tags 1–10) written at top level. Servers answer Tars and JSON requests with a
/// <c>ResponsePacket</c> (tags 1–9, <c>iRet</c> at 5), but TUP requests (versions 2 and 3) with a
/// <c>RequestPacket</c> whose <c>status</c> map carries <c>STATUS_RESULT_CODE</c> and <c>STATUS_RESULT_DESC</c>
/// (TarsCpp's <c>TarsCurrent::sendResponse</c>, @tars/rpc's <c>composeTUP</c>); both shapes are read.
/// </remarks>
public static class TarsCodec
{
    /// <summary>Length of the frame header.</summary>
    public const int LengthPrefix = 4;

    /// <summary>Largest packet accepted, the frame header included: TarsCpp's default limit (10 MiB).</summary>
    public const int MaxPacketLength = 10 * 1024 * 1024;

    /// <summary>The TUP status key of the return code.</summary>
    public const string StatusResultCode = "STATUS_RESULT_CODE";

    /// <summary>The TUP status key of the error text.</summary>
    public const string StatusResultDesc = "STATUS_RESULT_DESC";

    /// <summary>Encodes one framed two-way request packet.</summary>
    /// <param name="requestId">The id the response will carry.</param>
    /// <param name="invocation">The call.</param>
    /// <param name="timeoutMs"><c>iTimeout</c>: the server may drop the call once it expired; 0 for none.</param>
    /// <param name="output">Receives the frame.</param>
    public static void WriteRequest(int requestId, TarsInvocation invocation, int timeoutMs, ArrayBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(output);
        var start = output.WrittenCount;
        output.GetSpan(LengthPrefix);
        output.Advance(LengthPrefix);
        var writer = new TarsWriter(output);
        writer.WriteInt16(1, invocation.Version);
        writer.WriteInt8(2, 0);                       // cPacketType: normal (two-way)
        writer.WriteInt32(3, 0);                      // iMessageType
        writer.WriteInt32(4, requestId);
        writer.WriteString(5, invocation.Servant);
        writer.WriteString(6, invocation.Function);
        writer.WriteBytes(7, invocation.Buffer.Span);
        writer.WriteInt32(8, timeoutMs);
        writer.WriteStringMap(9, invocation.Context);
        writer.WriteStringMap(10, null);
        var length = output.WrittenCount - start;
        if (length > MaxPacketLength)
        {
            throw new TarsProtocolException($"request packet of {length} bytes exceeds the {MaxPacketLength}-byte limit");
        }

        // ArrayBufferWriter has no API to patch written bytes; its written memory is backed by its own array.
        BinaryPrimitives.WriteInt32BigEndian(MemoryMarshal.AsMemory(output.WrittenMemory).Span.Slice(start, LengthPrefix), length);
    }

    /// <summary>The length of the packet whose 4-byte header is <paramref name="header"/>, checked.</summary>
    public static int ReadLength(ReadOnlySpan<byte> header)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < LengthPrefix or > MaxPacketLength)
        {
            throw new TarsProtocolException($"packet length {length} outside {LengthPrefix}..{MaxPacketLength}");
        }

        return length;
    }

    /// <summary>Decodes a response packet (without its length header), in either shape.</summary>
    public static TarsResponse ReadResponse(ReadOnlySpan<byte> packet)
    {
        try
        {
            var reader = new TarsReader(packet);
            var version = (short)reader.ReadIntegerField(1);
            if (version is TarsVersion.TupComplex or TarsVersion.TupSimple)
            {
                // A RequestPacket: 4 iRequestId, 7 sBuffer, 9 context, 10 status.
                var id = (int)reader.ReadIntegerField(4);
                var buffer = reader.ReadBytesField(7).ToArray();
                var context = reader.ReadStringMapField(9);
                var status = reader.ReadStringMapField(10);
                var code = 0;
                var desc = "";
                if (status is not null)
                {
                    if (status.TryGetValue(StatusResultCode, out var text)
                        && !int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out code))
                    {
                        throw new TarsProtocolException($"{StatusResultCode} '{text}' is not a number");
                    }

                    desc = status.GetValueOrDefault(StatusResultDesc) ?? "";
                }

                return new TarsResponse(id, version, code, desc, buffer, context);
            }
            else
            {
                // A ResponsePacket: 3 iRequestId, 5 iRet, 6 sBuffer, 8 sResultDesc, 9 context.
                var id = (int)reader.ReadIntegerField(3);
                var code = (int)reader.ReadIntegerField(5);
                var buffer = reader.ReadBytesField(6).ToArray();
                var desc = reader.ReadStringField(8);
                var context = reader.ReadStringMapField(9);
                return new TarsResponse(id, version, code, desc, buffer, context);
            }
        }
        catch (TarsFormatException e)
        {
            throw new TarsProtocolException($"undecodable response packet: {e.Message}", e);
        }
    }
}

/// <summary>The peer broke the Tars protocol (bad length, undecodable packet).</summary>
public sealed class TarsProtocolException(string message, Exception? inner = null) : IOException(message, inner);
