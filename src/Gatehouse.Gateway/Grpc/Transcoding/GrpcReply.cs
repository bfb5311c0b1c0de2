using System.Buffers.Binary;
using System.IO.Compression;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>The status a gRPC call ended with: code, message and the serialized <c>google.rpc.Status</c> when the node sent one.</summary>
internal readonly record struct GrpcCallStatus(int Code, string Message, byte[]? Details);

/// <summary>Reads a gRPC reply: length-prefixed messages (gRPC over HTTP/2, "Length-Prefixed-Message") and the status.</summary>
internal static class GrpcReply
{
    private const string DetailsHeader = "grpc-status-details-bin";

    /// <summary>The status of a trailers-only reply (<c>grpc-status</c> among the headers); null when the body follows.</summary>
    public static GrpcCallStatus? HeaderStatus(HttpResponseMessage response)
        => response.Headers.NonValidated.TryGetValues(GrpcErrors.StatusHeader, out var status)
            ? Read(status.ToString(), response.Headers.NonValidated) : null;

    /// <summary>The status from the trailers; a reply that ends without one is INTERNAL, as gRPC clients judge it.</summary>
    public static GrpcCallStatus TrailerStatus(HttpResponseMessage response)
    {
        var trailers = response.TrailingHeaders.NonValidated;
        if (trailers.TryGetValues(GrpcErrors.StatusHeader, out var status))
        {
            return Read(status.ToString(), trailers);
        }

        return HeaderStatus(response) ?? new GrpcCallStatus(GrpcErrors.Internal, "the node ended the call without a grpc-status", null);
    }

    private static GrpcCallStatus Read(string status, System.Net.Http.Headers.HttpHeadersNonValidated headers)
    {
        var code = Observability.GrpcStatus.Parse(status);
        var message = headers.TryGetValues(GrpcErrors.MessageHeader, out var text) ? Unescape(text.ToString()) : "";
        byte[]? details = null;
        if (headers.TryGetValues(DetailsHeader, out var bin))
        {
            details = FromBase64(bin.ToString());
        }

        return new GrpcCallStatus(code < 0 ? 2 : code, message, details);
    }

    private static string Unescape(string message)
    {
        try
        {
            return Uri.UnescapeDataString(message);
        }
        catch (UriFormatException)
        {
            return message;
        }
    }

    /// <summary>Binary metadata is base64, padded or not (gRPC over HTTP/2, "Custom-Metadata").</summary>
    private static byte[]? FromBase64(string text)
    {
        text = text.Trim();
        if (text.Length % 4 != 0)
        {
            text = text.PadRight(text.Length + 4 - (text.Length % 4), '=');
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The next message, or null at the end of the body.</summary>
    /// <param name="body">The reply's body.</param>
    /// <param name="encoding">The reply's <c>grpc-encoding</c>; compressed messages are gzip or deflate.</param>
    /// <param name="token">Cancels the read.</param>
    public static async ValueTask<ReadOnlyMemory<byte>?> ReadMessageAsync(Stream body, string? encoding, CancellationToken token)
    {
        var header = new byte[5];
        var read = await ReadFullyAsync(body, header, token);
        if (read == 0)
        {
            return null;
        }

        if (read < 5)
        {
            throw new IOException("the reply ended inside a message header");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > TranscodingForwarder.MaxMessageBytes)
        {
            throw new FormatException($"a reply message of {length} bytes is over the limit of {TranscodingForwarder.MaxMessageBytes}");
        }

        var message = new byte[length];
        if (await ReadFullyAsync(body, message, token) < length)
        {
            throw new IOException("the reply ended inside a message");
        }

        if (header[0] == 0)
        {
            return message;
        }

        // Compressed (flag 1): only sent when we accept an encoding, which we do not announce; a node may still send it.
        Stream decoder = encoding switch
        {
            "gzip" => new GZipStream(new MemoryStream(message), CompressionMode.Decompress),
            "deflate" => new ZLibStream(new MemoryStream(message), CompressionMode.Decompress),
            _ => throw new FormatException($"a compressed reply message in grpc-encoding '{encoding}' cannot be read"),
        };
        await using (decoder)
        {
            using var output = new MemoryStream();
            await decoder.CopyToAsync(output, token);
            return output.ToArray();
        }
    }

    private static async ValueTask<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken token)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[total..], token);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
