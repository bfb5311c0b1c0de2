using System.Net.Sockets;
using Gatehouse.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class HttpForwarderClassificationTests
{
    private static readonly Exception Any = new HttpRequestException("boom");

    private static HttpRequestException ConnectionRefused()
        => new(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

    [Fact]
    public void ClassifySendFailure_ConnectionErrorBeforeBody_ConnectFailed()
    {
        Assert.Equal(ForwarderError.ConnectFailed,
            HttpForwarder.ClassifySendFailure(ConnectionRefused(), null, clientAborted: false, timedOut: false, requestBodyStarted: false));
    }

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError)]
    [InlineData(HttpRequestError.SecureConnectionError)]
    public void ClassifySendFailure_OtherConnectionEstablishmentErrors_ConnectFailed(HttpRequestError kind)
    {
        Assert.Equal(ForwarderError.ConnectFailed,
            HttpForwarder.ClassifySendFailure(new HttpRequestException(kind, "x"), null, false, false, false));
    }

    [Fact]
    public void ClassifySendFailure_ConnectionErrorAfterBodyStarted_NotConnectFailed()
    {
        Assert.Equal(ForwarderError.UpstreamFailed,
            HttpForwarder.ClassifySendFailure(ConnectionRefused(), null, false, false, requestBodyStarted: true));
    }

    [Fact]
    public void ClassifySendFailure_ConnectTimeoutAsSocketsHttpHandlerThrowsIt_ConnectTimeout()
    {
        // .NET 10 SocketsHttpHandler: TaskCanceledException wrapping TimeoutException (HttpConnectionPool.CreateConnectTimeoutException).
        var exception = new TaskCanceledException("The operation was canceled.",
            new TimeoutException("A connection could not be established within the configured ConnectTimeout."));

        Assert.Equal(ForwarderError.ConnectTimeout, HttpForwarder.ClassifySendFailure(exception, null, false, false, false));
    }

    [Fact]
    public void ClassifySendFailure_ConnectionErrorWrappingTimeout_ConnectTimeout()
    {
        var exception = new HttpRequestException(HttpRequestError.ConnectionError, "x", new TimeoutException());

        Assert.Equal(ForwarderError.ConnectTimeout, HttpForwarder.ClassifySendFailure(exception, null, false, false, false));
    }

    [Fact]
    public void ClassifySendFailure_OurTimeoutFired_ResponseHeadersTimeout()
    {
        Assert.Equal(ForwarderError.ResponseHeadersTimeout,
            HttpForwarder.ClassifySendFailure(new TaskCanceledException(), null, clientAborted: false, timedOut: true, requestBodyStarted: true));
    }

    [Fact]
    public void ClassifySendFailure_ClientAborted_RequestCanceled()
    {
        Assert.Equal(ForwarderError.RequestCanceled,
            HttpForwarder.ClassifySendFailure(new TaskCanceledException(), null, clientAborted: true, timedOut: true, requestBodyStarted: false));
    }

    [Fact]
    public void ClassifySendFailure_ClientAbortedDuringBody_RequestBodyClient()
    {
        var body = new StreamCopyOutcome(StreamCopyResult.Canceled, new OperationCanceledException(), 10);

        Assert.Equal(ForwarderError.RequestBodyClient, HttpForwarder.ClassifySendFailure(Any, body, true, false, true));
    }

    [Fact]
    public void ClassifySendFailure_ClientBodyReadFailed_ExplainsTheFailure()
    {
        var body = new StreamCopyOutcome(StreamCopyResult.InputError, new IOException("reset"), 10);

        Assert.Equal(ForwarderError.RequestBodyClient, HttpForwarder.ClassifySendFailure(Any, body, false, timedOut: true, true));
    }

    [Fact]
    public void ClassifySendFailure_MalformedClientBody_RequestBodyMalformed()
    {
        var body = new StreamCopyOutcome(StreamCopyResult.InputError, new BadHttpRequestException("Bad chunk size data.", 400), 10);

        Assert.Equal(ForwarderError.RequestBodyMalformed, HttpForwarder.ClassifySendFailure(Any, body, false, false, true));
    }

    [Fact]
    public void ClassifySendFailure_NodeFailedWhileReceivingBody_RequestBodyUpstream()
    {
        var body = new StreamCopyOutcome(StreamCopyResult.OutputError, new IOException("broken pipe"), 10);

        Assert.Equal(ForwarderError.RequestBodyUpstream, HttpForwarder.ClassifySendFailure(Any, body, false, false, true));
    }

    [Fact]
    public void ClassifySendFailure_ResponseEndedPrematurely_UpstreamFailed()
    {
        var exception = new HttpRequestException(HttpRequestError.ResponseEnded, "ended");

        Assert.Equal(ForwarderError.UpstreamFailed, HttpForwarder.ClassifySendFailure(exception, null, false, false, false));
    }

    [Theory]
    [InlineData(413, "Request body too large.", nameof(ForwarderError.RequestBodyTooLarge))]
    [InlineData(400, "Bad chunk size data.", nameof(ForwarderError.RequestBodyMalformed))]
    [InlineData(400, HttpForwarder.UnexpectedEndOfRequestContent, nameof(ForwarderError.RequestBodyClient))]
    [InlineData(408, "Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate.",
        nameof(ForwarderError.RequestBodyTimeout))]
    public void ClassifyClientBodyError_BadHttpRequest_MappedByCause(int status, string message, string expected)
    {
        Assert.Equal(Enum.Parse<ForwarderError>(expected), HttpForwarder.ClassifyClientBodyError(new IOException("wrapped", new BadHttpRequestException(message, status))));
    }

    [Fact]
    public void ClassifyClientBodyError_ChunkSizeOverflow_Malformed_NotAClientThatLeft()
    {
        // What Kestrel throws for a chunk size past its counter (1ffffffffffffffff).
        var overflow = new IOException("Bad chunk size data.", new OverflowException());

        Assert.Equal(ForwarderError.RequestBodyMalformed, HttpForwarder.ClassifyClientBodyError(overflow));
        Assert.Equal(ForwarderError.RequestBodyClient, HttpForwarder.ClassifyClientBodyError(new IOException("Connection reset by peer")));
    }

    [Theory]
    [InlineData("InputError", false, false, "ResponseBodyUpstream")]
    [InlineData("OutputError", false, false, "ResponseBodyClient")]
    [InlineData("Canceled", false, false, "ResponseBodyClient")]
    [InlineData("InputError", false, true, "IdleTimeout")]
    [InlineData("OutputError", false, true, "IdleTimeout")]
    [InlineData("InputError", true, true, "ResponseBodyClient")]
    public void ClassifyResponseBodyFailure_MapsSideAndCause(string result, bool clientAborted, bool timedOut, string expected)
    {
        var outcome = new StreamCopyOutcome(Enum.Parse<StreamCopyResult>(result), new IOException(), 1);

        Assert.Equal(Enum.Parse<ForwarderError>(expected), HttpForwarder.ClassifyResponseBodyFailure(outcome, clientAborted, timedOut));
    }

    [Theory]
    [InlineData(nameof(ForwarderError.RequestCanceled), true)]
    [InlineData(nameof(ForwarderError.RequestBodyClient), true)]
    [InlineData(nameof(ForwarderError.ResponseBodyClient), true)]
    [InlineData(nameof(ForwarderError.RequestBodyMalformed), false)]
    [InlineData(nameof(ForwarderError.ConnectFailed), false)]
    [InlineData(nameof(ForwarderError.IdleTimeout), false)]
    public void IsClientSide_OnlyClientCausedErrors(string error, bool expected)
    {
        Assert.Equal(expected, HttpForwarder.IsClientSide(Enum.Parse<ForwarderError>(error)));
    }
}
