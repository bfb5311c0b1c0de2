using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Bench.Backend;

/// <summary>
/// The backend's four endpoints behind one path switch. Written so the backend costs as little CPU per
/// request as possible: the proxies are what is measured, and on a 2-core box every backend microsecond
/// is a microsecond the proxy under test does not get.
/// </summary>
internal static class BenchEndpoints
{
    // Download chunks: 64 KiB stays below the 85,000-byte large-object threshold and is ArrayPool's native size.
    private const int ChunkSize = 64 * 1024;

    private const string TextPlain = "text/plain";

    // The 100-byte body of the reference measurements (DESIGN §5), encoded once.
    private static readonly byte[] s_hello = CreateHello(100);

    public static Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var method = request.Method;
        switch (request.Path.Value)
        {
            case "/" when HttpMethods.IsGet(method):
                return WriteHello(context.Response);
            case "/echo-size" when HttpMethods.IsPost(method):
            case "/upload" when HttpMethods.IsPost(method) || HttpMethods.IsPut(method):
                // curl -T sends PUT; the harness's streaming scenario uses it.
                return CountBodyAsync(context);
            case "/download" when HttpMethods.IsGet(method):
                return DownloadAsync(context);
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentLength = 0;
                return Task.CompletedTask;
        }
    }

    private static Task WriteHello(HttpResponse response)
    {
        response.ContentType = TextPlain;
        response.ContentLength = s_hello.Length;

        // Written into the pipe without a flush: Kestrel flushes once when the delegate completes, which
        // saves an await and a flush per request on the hottest scenario.
        var writer = response.BodyWriter;
        s_hello.CopyTo(writer.GetSpan(s_hello.Length));
        writer.Advance(s_hello.Length);
        return Task.CompletedTask;
    }

    private static async Task CountBodyAsync(HttpContext context)
    {
        // Reading the pipe's segments in place and only counting them: no copy, no buffer of our own.
        var reader = context.Request.BodyReader;
        long total = 0;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            total += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }

        WriteCount(context.Response, total);
    }

    private static void WriteCount(HttpResponse response, long count)
    {
        Span<byte> digits = stackalloc byte[24];
        count.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
        digits[length++] = (byte)'\n';

        response.ContentType = TextPlain;
        response.ContentLength = length;
        var writer = response.BodyWriter;
        digits[..length].CopyTo(writer.GetSpan(length));
        writer.Advance(length);
    }

    private static async Task DownloadAsync(HttpContext context)
    {
        var response = context.Response;
        if (!long.TryParse(context.Request.Query["bytes"], NumberStyles.None, CultureInfo.InvariantCulture, out var remaining))
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            response.ContentLength = 0;
            return;
        }

        response.ContentType = "application/octet-stream";
        response.ContentLength = remaining;

        // One pooled chunk per download, written again and again: memory stays flat however large N is.
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            FillPattern(chunk.AsSpan(0, ChunkSize));
            var writer = response.BodyWriter;
            while (remaining > 0)
            {
                var size = (int)Math.Min(remaining, ChunkSize);
                var flush = await writer.WriteAsync(chunk.AsMemory(0, size), context.RequestAborted);
                if (flush.IsCanceled || flush.IsCompleted)
                {
                    // The client went away; there is nobody left to write to.
                    return;
                }

                remaining -= size;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static void FillPattern(Span<byte> buffer)
    {
        // Printable, non-constant bytes so nothing on the way can shortcut or compress a run of zeros.
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)('a' + (i % 26));
        }
    }

    private static byte[] CreateHello(int size)
    {
        var body = new byte[size];
        FillPattern(body);
        body[^1] = (byte)'\n';
        return body;
    }
}
