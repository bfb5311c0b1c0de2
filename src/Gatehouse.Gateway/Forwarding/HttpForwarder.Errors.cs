using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Forwarding;

/// <summary>Failure handling and the mapping of exceptions to <see cref="ForwarderError"/>.</summary>
internal sealed partial class HttpForwarder
{
    /// <summary>The client went away: nothing is written, the connection is aborted.</summary>
    internal static bool IsClientSide(ForwarderError error)
        => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient;

    /// <summary>The client's part in a failure, or null when the node, the network or the gateway failed.</summary>
    internal static ClientErrorKind? ClientErrorOf(ForwarderError error) => error switch
    {
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient => ClientErrorKind.Aborted,
        ForwarderError.RequestBodyMalformed => ClientErrorKind.MalformedBody,
        ForwarderError.RequestNotSupported => ClientErrorKind.BadRequest,
        ForwarderError.RequestBodyTooLarge => ClientErrorKind.BodyTooLarge,
        ForwarderError.RequestBodyTimeout => ClientErrorKind.StalledUpload,
        _ => null,
    };

    /// <summary>
    /// Maps a failed <see cref="HttpMessageInvoker.SendAsync"/> to an error. Order matters: a broken client body
    /// explains the send failure it causes; a client abort or our own timeout explains the cancellation exception;
    /// only then is the exception itself inspected.
    /// </summary>
    /// <param name="exception">What SendAsync threw.</param>
    /// <param name="requestBody">How the request body copy ended, when it had started.</param>
    /// <param name="clientAborted">The client aborted the request.</param>
    /// <param name="timedOut">The response-headers timeout fired.</param>
    /// <param name="requestBodyStarted">The request body had started streaming.</param>
    internal static ForwarderError ClassifySendFailure(Exception exception, StreamCopyOutcome? requestBody, bool clientAborted,
        bool timedOut, bool requestBodyStarted)
    {
        if (clientAborted)
        {
            return requestBody is { Result: StreamCopyResult.InputError or StreamCopyResult.Canceled }
                ? ForwarderError.RequestBodyClient
                : ForwarderError.RequestCanceled;
        }

        if (requestBody is { Result: StreamCopyResult.InputError } body)
        {
            return ClassifyClientBodyError(body.Error);
        }

        if (timedOut)
        {
            return ForwarderError.ResponseHeadersTimeout;
        }

        // SocketsHttpHandler reports a connection it could not establish as HttpRequestException with
        // ConnectionError (documented as a transport failure while connecting: refused, unreachable; the inner
        // exception is the connect's SocketException), NameResolutionError or SecureConnectionError (TLS handshake).
        // Nothing of the request was written then, so a retry elsewhere is safe whatever the method. A connection
        // that breaks once in use (a pooled one the node dropped, a node killed mid-request) is reported otherwise
        // (Unknown wrapping the IOException of the failed read or write, ResponseEnded) and stays UpstreamFailed:
        // the request head may have reached the node.
        if (!requestBodyStarted && exception is HttpRequestException
            {
                HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                    or HttpRequestError.SecureConnectionError,
            } connectError)
        {
            return ContainsTimeout(connectError.InnerException) ? ForwarderError.ConnectTimeout : ForwarderError.ConnectFailed;
        }

        // SocketsHttpHandler.ConnectTimeout surfaces as a TaskCanceledException wrapping a TimeoutException ("A
        // connection could not be established within the configured ConnectTimeout", from
        // HttpConnectionPool.CreateConnectTimeoutException; observed on .NET 10), not tied to the token we passed.
        if (exception is OperationCanceledException && ContainsTimeout(exception.InnerException))
        {
            return ForwarderError.ConnectTimeout;
        }

        if (requestBody is { Result: StreamCopyResult.OutputError })
        {
            return ForwarderError.RequestBodyUpstream;
        }

        return ForwarderError.UpstreamFailed;
    }

    /// <summary>Maps a failed response body copy to an error.</summary>
    internal static ForwarderError ClassifyResponseBodyFailure(StreamCopyOutcome outcome, bool clientAborted, bool timedOut)
    {
        if (clientAborted || outcome.Result == StreamCopyResult.Canceled)
        {
            return ForwarderError.ResponseBodyClient;
        }

        if (timedOut)
        {
            return ForwarderError.IdleTimeout;
        }

        return outcome.Result == StreamCopyResult.InputError ? ForwarderError.ResponseBodyUpstream : ForwarderError.ResponseBodyClient;
    }

    /// <summary>
    /// A failed read of the client body: Kestrel throws BadHttpRequestException for framing errors (400), for
    /// exceeding MaxRequestBodySize (413) and for an upload below MinRequestBodyDataRate (408); anything else is the
    /// client going away.
    /// </summary>
    internal static ForwarderError ClassifyClientBodyError(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is BadHttpRequestException bad)
            {
                if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return ForwarderError.RequestBodyTooLarge;
                }

                if (bad.StatusCode == StatusCodes.Status408RequestTimeout)
                {
                    return ForwarderError.RequestBodyTimeout;
                }

                // An HTTP/1.1 body can only end before its Content-Length or final chunk when the connection's
                // input ended: the client closed it mid-upload. Kestrel reports that as a 400 (reason
                // UnexpectedEndOfRequestContent, not public) and often before RequestAborted fires, so it is
                // recognised by its message; the functional test of client aborts guards this on upgrades.
                return string.Equals(bad.Message, UnexpectedEndOfRequestContent, StringComparison.Ordinal)
                    ? ForwarderError.RequestBodyClient
                    : ForwarderError.RequestBodyMalformed;
            }

            // A chunk size too large for Kestrel's counter (e.g. 1ffffffffffffffff) is the one framing error Kestrel
            // reports as an IOException wrapping the OverflowException of its checked arithmetic, not as a
            // BadHttpRequestException; it is the client's malformed body all the same, not a client that went away.
            if (current is OverflowException)
            {
                return ForwarderError.RequestBodyMalformed;
            }
        }

        return ForwarderError.RequestBodyClient;
    }

    /// <summary>Kestrel's message for a request body cut short (CoreStrings.BadRequest_UnexpectedEndOfRequestContent).</summary>
    internal const string UnexpectedEndOfRequestContent = "Unexpected end of request content.";

    private static bool ContainsTimeout(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask<ForwardResult> HandleSendFailureAsync(HttpContext context, NodeModel node, StreamingRequestContent? content,
        ForwarderCancellationSource activity, Exception exception)
    {
        // Read the reasons before stopping the body copy: canceling it would hide a timeout.
        var timedOut = activity.TimedOut;
        var clientAborted = activity.CanceledByClient;

        StreamCopyOutcome? body = null;
        if (content is not null && !content.TrySeal())
        {
            if (!content.Completion.IsCompleted)
            {
                activity.CancelByForwarder();
            }

            body = await content.Completion.ConfigureAwait(false);
        }

        // The abort notification may trail the failed body read it caused.
        clientAborted |= context.RequestAborted.IsCancellationRequested;

        var error = !clientAborted && activity.DeadlineExceeded
            ? ForwarderError.RequestTimeout
            : ClassifySendFailure(exception, body, clientAborted, timedOut, content?.Started ?? false);
        var reported = error is ForwarderError.RequestBodyClient or ForwarderError.RequestBodyMalformed
            or ForwarderError.RequestBodyTimeout or ForwarderError.RequestBodyTooLarge or ForwarderError.RequestBodyUpstream
            ? body?.Error ?? exception
            : exception;
        return Fail(context, node, error, reported, content, abortClient: IsClientSide(error));
    }

    private ForwardResult HandleResponseBodyFailure(HttpContext context, NodeModel node, StreamingRequestContent? content,
        ForwarderCancellationSource activity, StreamCopyOutcome outcome, string requestId)
    {
        var timedOut = activity.TimedOut;
        var clientAborted = activity.CanceledByClient || context.RequestAborted.IsCancellationRequested;

        ForwarderError error;
        var exception = outcome.Error;
        if (content is not null && content.Completion is { IsCompletedSuccessfully: true } done
            && done.Result.Result == StreamCopyResult.InputError)
        {
            // A broken client body (full duplex) that made the node give up explains the response failure.
            error = ClassifyClientBodyError(done.Result.Error);
            exception = done.Result.Error;
        }
        else if (!clientAborted && activity.DeadlineExceeded)
        {
            error = ForwarderError.RequestTimeout;
        }
        else if (outcome.Error is ResponseBodyLimitException)
        {
            // A buffering writer (encrypted responses) refused more bytes: neither side failed.
            error = ForwarderError.ResponseBodyTooLarge;
        }
        else
        {
            error = ClassifyResponseBodyFailure(outcome, clientAborted, timedOut);
        }

        if (content is { InProgress: true })
        {
            // Stop uploading to a node whose response failed; the caller's finally waits for the copy to end.
            activity.CancelByForwarder();
        }

        if (context.Response.HasStarted || IsClientSide(error))
        {
            return Fail(context, node, error, exception, content, abortClient: true);
        }

        ResetResponse(context, requestId);
        return Fail(context, node, error, exception, content);
    }
}
