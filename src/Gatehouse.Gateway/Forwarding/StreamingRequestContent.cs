using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>
/// Upstream request content that streams <see cref="HttpRequest.Body"/> to the node through
/// <see cref="StreamCopier"/>, never buffering the body. SocketsHttpHandler calls
/// <see cref="SerializeToStreamAsync(Stream, TransportContext?, CancellationToken)"/> once the request headers are
/// written, for HTTP/1.1 and HTTP/2 alike; the outcome is published through <see cref="Completion"/> because the
/// handler only sees success or an exception.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly HttpRequest _request;
    private readonly ForwarderCancellationSource _activity;
    private readonly TaskCompletionSource<StreamCopyOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const int NotStarted = 0;
    private const int Running = 1;
    private const int Sealed = 2;

    private int _state;

    /// <summary>Creates the content for <paramref name="request"/>.</summary>
    public StreamingRequestContent(HttpRequest request, ForwarderCancellationSource activity)
    {
        _request = request;
        _activity = activity;
    }

    /// <summary>
    /// True once the handler began sending the body: the request headers went out and the client body is being
    /// consumed, so the request cannot be replayed.
    /// </summary>
    public bool Started => Volatile.Read(ref _state) == Running;

    /// <summary>True while the body is being copied.</summary>
    public bool InProgress => Started && !_completion.Task.IsCompleted;

    /// <summary>Completes with the copy outcome; never faults. Only completes if <see cref="Started"/>.</summary>
    public Task<StreamCopyOutcome> Completion => _completion.Task;

    /// <summary>
    /// Prevents a later start once the exchange is over. Returns false when the body had already started; the
    /// caller must then wait for <see cref="Completion"/> before releasing the request.
    /// </summary>
    public bool TrySeal() => Interlocked.CompareExchange(ref _state, Sealed, NotStarted) == NotStarted || !Started;

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc/>
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var previous = Interlocked.CompareExchange(ref _state, Running, NotStarted);
        if (previous != NotStarted)
        {
            // Running: a retry by the handler would resend a body already consumed from the client.
            // Sealed: the exchange is over and the client request (and the cancellation source) belong to
            // nobody any more.
            throw new InvalidOperationException(previous == Running
                ? "The request body was already sent."
                : "The forwarded exchange has ended.");
        }

        // HTTP/1.1 passes the SendAsync token (ours). HTTP/2 passes a token of its own that fires when the stream
        // is reset or the node stops reading; then both must stop the copy.
        CancellationTokenSource? linked = null;
        var token = _activity.Token;
        if (cancellationToken.CanBeCanceled && cancellationToken != token)
        {
            linked = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
            token = linked.Token;
        }

        StreamCopyOutcome outcome;
        try
        {
            // The headers are still in the handler's buffer; they are flushed as soon as the client body has to
            // be waited for, so the node can answer early (auth failures, 100-continue), yet a body that is
            // already here goes out with the headers in one write.
            outcome = await StreamCopier.CopyAsync(_request.Body, stream, _activity, flushBeforeFirstWait: true, token)
                .ConfigureAwait(false);
        }
        finally
        {
            linked?.Dispose();
        }

        if (outcome.Result == StreamCopyResult.InputError && outcome.Error is OperationCanceledException
            && cancellationToken.IsCancellationRequested && !_activity.IsCancellationRequested)
        {
            // The handler's own token stopped a read from the client: the node (HTTP/2 stream reset) is the
            // side that failed, not the client.
            outcome = outcome with { Result = StreamCopyResult.OutputError };
        }

        _completion.TrySetResult(outcome);

        // The handler must learn that the body is incomplete, or it would end a chunked body cleanly and the node
        // would process a truncated request. A new exception: the original may still be observed elsewhere.
        switch (outcome.Result)
        {
            case StreamCopyResult.Success:
                return;
            case StreamCopyResult.Canceled:
                throw new OperationCanceledException("Sending the request body was canceled.", outcome.Error);
            case StreamCopyResult.InputError:
                throw new IOException("Reading the request body from the client failed.", outcome.Error);
            default:
                throw new IOException("Writing the request body to the node failed.", outcome.Error);
        }
    }

    /// <inheritdoc/>
    protected override Task<Stream> CreateContentReadStreamAsync()
        => throw new NotSupportedException("A forwarded request body can only be sent, not read.");

    /// <inheritdoc/>
    protected override bool TryComputeLength(out long length)
    {
        // The client's Content-Length, when there is one, is copied as a header; without it the handler uses
        // chunked transfer coding (HTTP/1.1) or DATA frames until END_STREAM (HTTP/2).
        length = -1;
        return false;
    }
}
