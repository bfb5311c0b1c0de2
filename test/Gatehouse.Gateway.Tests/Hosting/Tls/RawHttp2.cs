using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Gateway.Tests.Hosting.Tls;

/// <summary>
/// Sends one HTTP/2 request exactly as written (over TLS with ALPN h2), for header fields HttpClient would drop
/// (it removes <c>Transfer-Encoding</c> and <c>Connection</c> from HTTP/2 requests), and reads what comes back for it.
/// </summary>
/// <remarks>
/// Header fields go out as HPACK literals without indexing and without Huffman coding (RFC 7541 §6.2.2), which every
/// decoder must accept. Of the answer only <c>:status</c> is decoded: Kestrel encodes it first, from the static table
/// or as a literal with an indexed name.
/// </remarks>
internal static class RawHttp2
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, GoAway = 0x7;
    private const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;

    /// <summary>What came back for stream 1: a status and body, or a stream reset / connection close with its error code.</summary>
    public sealed record Answer(int Status, string Body, uint? ResetCode, uint? GoAwayCode)
    {
        public override string ToString() => $"status={Status} reset={ResetCode} goaway={GoAwayCode} body={Body}";
    }

    /// <summary>Sends <paramref name="headers"/> (pseudo-headers first, as given) and <paramref name="body"/> on stream 1.</summary>
    public static async Task<Answer> SendAsync(int port, IReadOnlyList<(string Name, string Value)> headers, byte[]? body = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            throw new InvalidOperationException($"ALPN chose {tls.NegotiatedApplicationProtocol}, not h2");
        }

        await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await WriteFrameAsync(tls, Settings, 0, 0, []);
        var block = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            block.WriteByte(0x00); // literal without indexing, new name
            WriteString(block, name);
            WriteString(block, value);
        }

        var hasBody = body is { Length: > 0 };
        await WriteFrameAsync(tls, Headers, (byte)(EndHeaders | (hasBody ? 0 : EndStream)), 1, block.ToArray());
        if (hasBody)
        {
            await WriteFrameAsync(tls, Data, EndStream, 1, body!);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var status = 0;
        var text = new StringBuilder();
        while (true)
        {
            var header = new byte[9];
            try
            {
                await tls.ReadExactlyAsync(header, timeout.Token);
            }
            catch (EndOfStreamException)
            {
                return new Answer(status, text.ToString(), null, null);
            }

            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var (type, flags) = (header[3], header[4]);
            var stream = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
            var payload = new byte[length];
            await tls.ReadExactlyAsync(payload, timeout.Token);
            switch (type)
            {
                case Settings when (flags & Ack) == 0:
                    await WriteFrameAsync(tls, Settings, Ack, 0, []);
                    break;
                case Headers when stream == 1:
                    status = status == 0 ? DecodeStatus(payload, flags) : status;
                    if ((flags & EndStream) != 0)
                    {
                        return new Answer(status, text.ToString(), null, null);
                    }

                    break;
                case Data when stream == 1:
                    text.Append(Encoding.UTF8.GetString(payload));
                    if ((flags & EndStream) != 0)
                    {
                        return new Answer(status, text.ToString(), null, null);
                    }

                    break;
                case RstStream when stream == 1:
                    return new Answer(status, text.ToString(), BinaryPrimitives.ReadUInt32BigEndian(payload), null);
                case GoAway:
                    return new Answer(status, text.ToString(), null, BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)));
            }
        }
    }

    private static int DecodeStatus(byte[] block, byte flags)
    {
        var offset = (flags & 0x8) != 0 ? 1 : 0; // PADDED: skip the pad length
        offset += (flags & 0x20) != 0 ? 5 : 0; // PRIORITY
        var first = block[offset];
        if ((first & 0x80) != 0)
        {
            // Indexed: the static table's :status entries 8-14 (RFC 7541 Appendix A).
            return (first & 0x7F) switch { 8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400, 13 => 404, 14 => 500, var i => -i };
        }

        // A literal whose name is static entry 8 (:status), with or without indexing; the value is three digits.
        var valueAt = offset + 1;
        var valueLength = block[valueAt] & 0x7F;
        return int.Parse(Encoding.ASCII.GetString(block, valueAt + 1, valueLength), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void WriteString(MemoryStream block, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        if (bytes.Length >= 127)
        {
            throw new ArgumentException("Only short strings are encoded here.", nameof(value));
        }

        block.WriteByte((byte)bytes.Length);
        block.Write(bytes);
    }

    private static async Task WriteFrameAsync(Stream stream, byte type, byte flags, uint streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame);
        await stream.FlushAsync();
    }
}
