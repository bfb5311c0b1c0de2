using System.Net;
using System.Net.Http.Headers;

namespace Gatehouse.Gateway.Grpc;

/// <summary>
/// An active health probe through the standard gRPC health service (<c>grpc.health.v1.Health/Check</c>): chosen
/// when a node's health path is that method's path. The request asks about the whole server (empty service name);
/// the node is healthy when the call ends OK with status SERVING.
/// </summary>
internal static class GrpcHealthProbe
{
    public const string CheckPath = "/grpc.health.v1.Health/Check";

    /// <summary><c>HealthCheckResponse.ServingStatus.SERVING</c>.</summary>
    private const int Serving = 1;

    // A length-prefixed message: not compressed, 0 bytes (an empty HealthCheckRequest: service "").
    private static readonly byte[] EmptyRequest = [0, 0, 0, 0, 0];

    private static readonly MediaTypeHeaderValue GrpcContentType = new("application/grpc");

    public static bool IsGrpcHealthPath(string path) => path.Equals(CheckPath, StringComparison.Ordinal);

    /// <summary>Makes the Check call over HTTP/2 (h2c with prior knowledge on http, ALPN h2 on https).</summary>
    public static async Task<bool> ProbeAsync(HttpMessageInvoker client, string baseAddress, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseAddress + CheckPath)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(EmptyRequest),
        };
        request.Content.Headers.ContentType = GrpcContentType;
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        request.Headers.TryAddWithoutValidation("User-Agent", "Gatehouse-HealthCheck");
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return false;
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return Forwarding.HttpForwarder.ReadGrpcStatus(response) == 0 && ReadServingStatus(body) == Serving;
    }

    /// <summary>
    /// The <c>status</c> (field 1, varint) of the one uncompressed <c>HealthCheckResponse</c> in a gRPC response body;
    /// -1 when the body is not exactly that. Other fields are skipped as protobuf says.
    /// </summary>
    internal static int ReadServingStatus(ReadOnlySpan<byte> body)
    {
        if (body.Length < 5 || body[0] != 0)
        {
            return -1;
        }

        var length = (body[1] << 24) | (body[2] << 16) | (body[3] << 8) | body[4];
        if (length < 0 || body.Length != 5 + length)
        {
            return -1;
        }

        var message = body[5..];
        var status = 0; // proto3: an absent field is its default, UNKNOWN (0).
        var i = 0;
        while (i < message.Length)
        {
            if (!TryReadVarint(message, ref i, out var key))
            {
                return -1;
            }

            switch (key & 7)
            {
                case 0:
                    if (!TryReadVarint(message, ref i, out var value))
                    {
                        return -1;
                    }

                    if (key >> 3 == 1)
                    {
                        status = (int)Math.Min(value, int.MaxValue);
                    }

                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    if (!TryReadVarint(message, ref i, out var size) || size > (ulong)(message.Length - i))
                    {
                        return -1;
                    }

                    i += (int)size;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    return -1;
            }
        }

        return i == message.Length ? status : -1;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int index, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && index < data.Length; shift += 7)
        {
            var b = data[index++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
