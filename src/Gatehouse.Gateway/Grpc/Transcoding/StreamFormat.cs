using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// How a server-streaming reply is written: NDJSON (<c>application/x-ndjson</c>, one JSON value per line) by default,
/// Server-Sent Events (<c>text/event-stream</c>, one <c>data:</c> event per message) when the client's Accept asks for
/// it. Each message is flushed as it arrives. An error after the first message is the stream's last record:
/// <c>{"error":{...}}</c> in NDJSON, an <c>event: error</c> in SSE, with the problem's fields.
/// </summary>
internal sealed class StreamFormat
{
    private static readonly StreamFormat Ndjson = new(sse: false);
    private static readonly StreamFormat Sse = new(sse: true);

    private readonly bool _sse;

    private StreamFormat(bool sse) => _sse = sse;

    public static StreamFormat For(HttpRequest request)
    {
        foreach (var accept in request.Headers.Accept)
        {
            if (accept is not null && accept.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                return Sse;
            }
        }

        return Ndjson;
    }

    public void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = _sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        response.Headers[HeaderNames.CacheControl] = "no-cache";
    }

    public async Task WriteAsync(HttpContext context, IProtoJsonCodec codec, TranscodingRoute route, ReadOnlyMemory<byte> message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Prefix(buffer, null);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            TranscodingOutput.Write(codec, route, message, writer);
        }

        Suffix(buffer);
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public async Task WriteErrorAsync(HttpContext context, TranscodingApiModel api, GrpcCallStatus status)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Prefix(buffer, "error");
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (!_sse)
            {
                writer.WriteStartObject("error");
            }

            writer.WriteNumber("status", GrpcHttpStatus.ToHttp(status.Code));
            writer.WriteString("code", TranscodingErrors.Code);
            writer.WriteNumber("grpcStatus", status.Code);
            writer.WriteString("grpcCode", GrpcHttpStatus.Name(status.Code));
            writer.WriteString("detail", status.Message);
            TranscodingErrors.WriteDetails(writer, api, status);
            if (!_sse)
            {
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        Suffix(buffer);
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private void Prefix(ArrayBufferWriter<byte> buffer, string? eventName)
    {
        if (!_sse)
        {
            return;
        }

        if (eventName is not null)
        {
            buffer.Write("event: "u8);
            buffer.Write(System.Text.Encoding.ASCII.GetBytes(eventName));
            buffer.Write("\n"u8);
        }

        buffer.Write("data: "u8);
    }

    // Utf8JsonWriter writes no raw newlines (they are escaped inside strings), so one message is one line.
    private void Suffix(ArrayBufferWriter<byte> buffer) => buffer.Write(_sse ? "\n\n"u8 : "\n"u8);
}
