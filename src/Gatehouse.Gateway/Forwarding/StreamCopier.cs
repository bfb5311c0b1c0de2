using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>How one body copy ended.</summary>
internal enum StreamCopyResult
{
    /// <summary>The input reached its end and everything was written and flushed.</summary>
    Success,

    /// <summary>Reading failed (or the activity timeout fired while waiting for input).</summary>
    InputError,

    /// <summary>Writing or flushing failed (or the activity timeout fired while the output applied backpressure).</summary>
    OutputError,

    /// <summary>The client aborted or the forwarder canceled the exchange.</summary>
    Canceled,
}

/// <summary>Result of <see cref="StreamCopier"/>: the outcome, the exception behind a failure, and the bytes read.</summary>
internal readonly record struct StreamCopyOutcome(StreamCopyResult Result, Exception? Error, long Bytes);

/// <summary>
/// Copies a body between streams through a pooled buffer, capturing failures instead of throwing so that input
/// errors, output errors and cancellation stay apart. Every read and write restarts the activity timeout.
/// </summary>
/// <remarks>
/// Flushing: the output is flushed when the input has nothing more available right now (a zero-byte read does
/// not complete synchronously), so streamed responses such as text/event-stream reach the client at once, while
/// bodies that arrive faster than they can be sent are written in batches. Towards a <see cref="PipeWriter"/>
/// the output is also flushed every <see cref="BufferSize"/> bytes: the pipe only applies backpressure on flush.
/// </remarks>
internal static class StreamCopier
{
    /// <summary>
    /// 64 KiB: YARP measured this size as the best throughput/memory trade-off for proxying (dotnet/yarp#330), and
    /// it stays below the large-object heap threshold.
    /// </summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>Copies <paramref name="input"/> to a stream (upstream request body, upgraded tunnels).</summary>
    /// <param name="input">The source, read to its end.</param>
    /// <param name="output">The destination.</param>
    /// <param name="activity">Restarted on every read and write; tells cancellation apart from timeouts.</param>
    /// <param name="flushBeforeFirstWait">
    /// True when <paramref name="output"/> may already hold unflushed data (the upstream request headers), to
    /// be flushed if the first input read has to wait.
    /// </param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    public static ValueTask<StreamCopyOutcome> CopyAsync(Stream input, Stream output, ForwarderCancellationSource activity,
        bool flushBeforeFirstWait, CancellationToken cancellationToken)
    {
        Debug.Assert(input is not null && output is not null && activity is not null);
        return CopyCoreAsync(input, output, null, activity, flushBeforeFirstWait, cancellationToken);
    }

    /// <summary>Copies <paramref name="input"/> to a pipe (the client response body).</summary>
    /// <param name="input">The source, read to its end.</param>
    /// <param name="output">The destination.</param>
    /// <param name="activity">Restarted on every read and write; tells cancellation apart from timeouts.</param>
    /// <param name="flushBeforeFirstWait">True to flush (send the response headers) if the first read has to wait.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    public static ValueTask<StreamCopyOutcome> CopyAsync(Stream input, PipeWriter output, ForwarderCancellationSource activity,
        bool flushBeforeFirstWait, CancellationToken cancellationToken)
    {
        Debug.Assert(input is not null && output is not null && activity is not null);
        return CopyCoreAsync(input, null, output, activity, flushBeforeFirstWait, cancellationToken);
    }

    private static async ValueTask<StreamCopyOutcome> CopyCoreAsync(Stream input, Stream? outputStream, PipeWriter? outputPipe,
        ForwarderCancellationSource activity, bool flushBeforeFirstWait, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        var unflushed = 0;
        var dirty = flushBeforeFirstWait;
        var reading = true;
        try
        {
            while (true)
            {
                // A zero-byte read waits for data without holding a buffer: idle streams (long polls, quiet
                // WebSockets) then cost no 64 KiB each. Its completing synchronously also tells whether more
                // input is ready, which decides whether to flush now.
                reading = true;
                var zeroByteRead = input.ReadAsync(Memory<byte>.Empty, cancellationToken);
                if (zeroByteRead.IsCompletedSuccessfully)
                {
                    // Consume the result in case the ValueTask is backed by a pooled IValueTaskSource.
                    _ = zeroByteRead.Result;
                }
                else
                {
                    if (dirty)
                    {
                        reading = false;
                        await FlushAsync(outputStream, outputPipe, cancellationToken).ConfigureAwait(false);
                        unflushed = 0;
                        dirty = false;
                        activity.ResetTimeout();
                        reading = true;
                    }

                    // Null the field before returning so a throwing await cannot return the array twice.
                    var toReturn = buffer;
                    buffer = null;
                    ArrayPool<byte>.Shared.Return(toReturn);
                    await zeroByteRead.ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                var read = await input.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
                activity.ResetTimeout();

                reading = false;
                if (outputStream is not null)
                {
                    await outputStream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    dirty = true;
                }
                else
                {
                    WriteTo(outputPipe!, buffer.AsSpan(0, read));
                    dirty = true;
                    unflushed += read;
                    if (unflushed >= BufferSize)
                    {
                        await FlushAsync(null, outputPipe, cancellationToken).ConfigureAwait(false);
                        unflushed = 0;
                        dirty = false;
                    }
                }

                activity.ResetTimeout();
            }

            reading = false;

            // An empty body is not flushed into the client response: flushing would send its headers alone, and
            // the end of the response would then follow as an empty DATA frame. Left unstarted, HTTP/2 ends the
            // stream with the HEADERS frame itself, which a gRPC trailers-only response must be (clients other
            // than Grpc.Net.Client read HEADERS without END_STREAM as "more to come", then find no status).
            if (dirty && (total > 0 || outputStream is not null))
            {
                await FlushAsync(outputStream, outputPipe, cancellationToken).ConfigureAwait(false);
            }

            return new StreamCopyOutcome(StreamCopyResult.Success, null, total);
        }
        catch (Exception ex)
        {
            if (activity.CanceledByClient || activity.CanceledByForwarder)
            {
                return new StreamCopyOutcome(StreamCopyResult.Canceled, ex, total);
            }

            // Includes the activity timeout: blame the side that was being waited for.
            return new StreamCopyOutcome(reading ? StreamCopyResult.InputError : StreamCopyResult.OutputError, ex, total);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async ValueTask FlushAsync(Stream? outputStream, PipeWriter? outputPipe, CancellationToken cancellationToken)
    {
        if (outputStream is not null)
        {
            await outputStream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var result = await outputPipe!.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The response flush was canceled.");
        }

        if (result.IsCompleted)
        {
            // The reading side (the client connection) is gone; keep reading the node for nothing otherwise.
            throw new IOException("The client response stream was completed.");
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="output"/>. As PipeWriter's own Write, except that it asks
    /// for a size: a writer may answer a request for "any size" with an empty span (gRPC-Web's base64 writer does
    /// when it has no buffer yet), and 4 KiB keeps Kestrel's pipe on its pooled blocks.
    /// </summary>
    private static void WriteTo(PipeWriter output, ReadOnlySpan<byte> source)
    {
        while (source.Length > 0)
        {
            var span = output.GetSpan(Math.Min(source.Length, 4096));
            var count = Math.Min(span.Length, source.Length);
            source[..count].CopyTo(span);
            output.Advance(count);
            source = source[count..];
        }
    }
}
