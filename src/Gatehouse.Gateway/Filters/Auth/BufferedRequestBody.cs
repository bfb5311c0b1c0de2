using System.Buffers;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Reads a request body into a pooled buffer (to hash it) and puts a stream over that buffer in its place, so the
/// forwarder sends the same bytes to the node without reading from the client again. The buffer goes back to the
/// pool when the exchange is disposed.
/// </summary>
internal static class BufferedRequestBody
{
    /// <summary>The detail of the 408 answered for <see cref="Result.TooSlow"/>.</summary>
    public const string TooSlowDetail = "The request body arrived more slowly than the minimum data rate; the upload was stopped.";

    /// <summary>Outcome of <see cref="ReadAsync"/>.</summary>
    public enum Result
    {
        Ok,
        TooLarge,

        /// <summary>The body is malformed (bad chunked framing): the client is still there and is told 400.</summary>
        ClientError,

        /// <summary>
        /// The client went away mid-body (reset, closed before the declared length, aborted): nobody is left to
        /// answer, so the caller aborts the connection (<see cref="AbortGoneClient"/>) instead of writing a response.
        /// </summary>
        ClientGone,

        /// <summary>The client sent the body more slowly than Kestrel's minimum data rate (a stalled upload).</summary>
        TooSlow,
    }

    /// <summary>Buffers the body (at most <paramref name="limit"/> bytes); on Ok, <paramref name="body"/> holds it.</summary>
    public static async ValueTask<(Result Result, ReadOnlyMemory<byte> Body)> ReadAsync(HttpContext context, int limit)
    {
        var (result, buffer, length) = await ReadPooledAsync(context, limit);
        if (buffer is null)
        {
            return (result, result == Result.Ok ? ReadOnlyMemory<byte>.Empty : default);
        }

        Replace(context, buffer, 0, length);
        return (Result.Ok, buffer.AsMemory(0, length));
    }

    /// <summary>
    /// Reads the body (at most <paramref name="limit"/> bytes) into a buffer rented from <see cref="ArrayPool{T}.Shared"/>
    /// that the caller then owns: it hands it to <see cref="Replace"/> or returns it. The buffer is null for no body
    /// and on failure.
    /// </summary>
    public static async ValueTask<(Result Result, byte[]? Buffer, int Length)> ReadPooledAsync(HttpContext context, int limit)
    {
        var request = context.Request;
        if (!HttpForwarder.HasRequestBody(request))
        {
            return (Result.Ok, null, 0);
        }

        if (request.ContentLength > limit)
        {
            return (Result.TooLarge, null, 0);
        }

        var size = (int)Math.Min(request.ContentLength ?? 4096, (long)limit + 1);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 256));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (Result.TooLarge, null, 0);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (Result.TooLarge, null, 0);
                }
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            var (result, kind) = HttpForwarder.ClassifyClientBodyError(ex) switch
            {
                ForwarderError.RequestBodyTooLarge => (Result.TooLarge, ClientErrorKind.BodyTooLarge),
                ForwarderError.RequestBodyTimeout => (Result.TooSlow, ClientErrorKind.StalledUpload),
                ForwarderError.RequestBodyMalformed => (Result.ClientError, ClientErrorKind.MalformedBody),
                _ => (Result.ClientGone, ClientErrorKind.Aborted),
            };
            ReportClientError(context, kind, ex);
            return (result, null, 0);
        }

        return (Result.Ok, buffer, length);
    }

    /// <summary>Ends the exchange of a client that went away mid-body (<see cref="Result.ClientGone"/>).</summary>
    /// <remarks>
    /// A body read that failed or was canceled leaves Kestrel's body reader mid-read; had the exchange ended with a
    /// response, Kestrel's own drain of the rest of the body would then fail with "Reading is already in progress",
    /// logged as an error with a stack trace for every client that resets mid-upload. Aborting skips that drain, and
    /// nobody is left to read a response anyway. Kestrel has logged the reset at Debug, as the forwarder logs a client
    /// that goes away (<see cref="HttpForwarder.IsClientSide"/>).
    /// </remarks>
    public static void AbortGoneClient(HttpContext context) => context.Abort();

    /// <summary>
    /// The body failed as it does in the forwarder, so it is logged as the forwarder logs it: one rate-limited client
    /// error. Looked up per failure (a static helper has no constructor to take it), which only failures pay for.
    /// </summary>
    private static void ReportClientError(HttpContext context, ClientErrorKind kind, Exception exception)
        => context.RequestServices?.GetService<ClientErrorLog>()?.Report(kind, context, exception);

    /// <summary>
    /// Makes <paramref name="length"/> bytes of the pooled <paramref name="buffer"/> from <paramref name="offset"/> the
    /// request body the forwarder sends; the buffer goes back to the pool when the exchange is disposed.
    /// </summary>
    public static void Replace(HttpContext context, byte[] buffer, int offset, int length)
    {
        var replay = new ReplayStream(buffer, offset, length);
        context.Response.RegisterForDispose(replay);
        context.Request.Body = replay;
    }

    /// <summary>A read-only stream over the buffered body that returns the buffer to the pool on dispose.</summary>
    private sealed class ReplayStream(byte[] buffer, int offset, int length) : MemoryStream(buffer, offset, length, writable: false)
    {
        private byte[]? _buffer = buffer;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (Interlocked.Exchange(ref _buffer, null) is { } rented)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
