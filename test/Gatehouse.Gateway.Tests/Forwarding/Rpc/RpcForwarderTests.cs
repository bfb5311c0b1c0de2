using System.Text;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Forwarding.Rpc;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;
using static Gatehouse.Gateway.Tests.Forwarding.Rpc.RpcForwarderTestKit;

namespace Gatehouse.Gateway.Tests.Forwarding.Rpc;

/// <summary>The steps every RPC forwarder shares, with a protocol whose arguments, calls and results are text.</summary>
public sealed class RpcForwarderTests
{
    private sealed class ServerAnsweredException(string message) : Exception(message);

    private sealed class RefusedException() : IOException("refused");

    private sealed class TextForwarder(Func<string, Task<string>> answer) : RpcForwarder<string, string, string>
    {
        public int Binds { get; private set; }

        public List<(string Arguments, List<KeyValuePair<string, string>> Context, TimeSpan Timeout)> Calls { get; } = [];

        public bool ClientGoneWhileWriting { get; init; }

        protected override string Protocol => "Text";

        protected override async Task<string> BindAsync(HttpContext context, string api, PathString upstreamPath)
        {
            Binds++;
            using var body = await RpcRequestValues.ReadBodyAsync(context);
            var text = Encoding.UTF8.GetString(body.ToArray());
            return text == "bad" ? throw new FormatException("the body is bad") : text;
        }

        protected override string[] ContextHeaders(string api) => ["x-tenant"];

        protected override Task<string> InvokeAsync(NodeModel node, string api, string arguments,
            List<KeyValuePair<string, string>> callContext, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Calls.Add((arguments, callContext, timeout));
            return answer(arguments);
        }

        protected override async ValueTask<ForwardResult> WriteResultAsync(HttpContext context, NodeModel node, string api, string response)
        {
            StartJsonResult(context.Response);
            if (ClientGoneWhileWriting)
            {
                throw new IOException("client reset");
            }

            await context.Response.WriteAsync($"\"{response}\"");
            return Completed;
        }

        protected override RpcFailure Classify(Exception exception) => exception switch
        {
            RefusedException => RpcFailure.ConnectFailed,
            TimeoutException => RpcFailure.Timeout,
            ServerAnsweredException => RpcFailure.ServerError,
            IOException => RpcFailure.UpstreamFailed,
            _ => RpcFailure.Unexpected,
        };

        protected override Task WriteServerErrorAsync(HttpContext context, NodeModel node, string api, Exception exception)
            => ProblemWriter.WriteAsync(context, GatewayError.UpstreamError, exception.Message);

        protected override void LogCallFailed(NodeModel node, string api, ForwarderError error, string reason)
        {
        }
    }

    private static readonly NodeModel TestNode = NodeAt("n1", "text://10.0.0.9:1000");

    private static ValueTask<ForwardResult> ForwardAsync(TextForwarder forwarder, HttpContext context,
        ForwardOptions? options = null, CancellationToken deadline = default)
        => forwarder.ForwardAsync(context, TestNode, "/x", "api", options ?? Options, deadline);

    [Fact]
    public async Task Forward_Answer_200JsonWithRequestIdAndCallContext()
    {
        var forwarder = new TextForwarder(arguments => Task.FromResult("re:" + arguments));
        var context = Context("hello");
        context.Request.Headers["X-Request-Id"] = "req-7";

        var result = await ForwardAsync(forwarder, context);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.StartsWith("application/json", context.Response.ContentType);
        Assert.Equal("req-7", context.Response.Headers["X-Request-Id"]);
        Assert.Equal("\"re:hello\"", Body(context));
        var (arguments, callContext, timeout) = Assert.Single(forwarder.Calls);
        Assert.Equal(("hello", TimeSpan.FromSeconds(3)), (arguments, timeout));
        Assert.Contains(new KeyValuePair<string, string>("x-tenant", "t1"), callContext);
        Assert.Contains(new KeyValuePair<string, string>("x-request-id", "req-7"), callContext);
    }

    [Fact]
    public async Task Forward_NoResponseHeadersTimeout_CallWaitsWithoutTimeout()
    {
        var forwarder = new TextForwarder(Task.FromResult);

        await ForwardAsync(forwarder, Context("x"), new ForwardOptions(TimeSpan.Zero, TimeSpan.Zero));

        Assert.Equal(Timeout.InfiniteTimeSpan, Assert.Single(forwarder.Calls).Timeout);
    }

    [Fact]
    public async Task Forward_Retry_ArgumentsBoundOnceAndResent()
    {
        var calls = 0;
        var forwarder = new TextForwarder(a => ++calls == 1 ? Task.FromException<string>(new RefusedException()) : Task.FromResult(a));
        var context = Context("once");

        Assert.Equal(ForwarderError.ConnectFailed, (await ForwardAsync(forwarder, context)).Error);
        Assert.Equal(ForwarderError.None, (await ForwardAsync(forwarder, context)).Error);

        Assert.Equal(1, forwarder.Binds);
        Assert.Equal(["once", "once"], forwarder.Calls.Select(c => c.Arguments));
    }

    [Fact]
    public async Task Forward_BodyDoesNotBind_400AndNoCall()
    {
        var forwarder = new TextForwarder(Task.FromResult);
        var context = Context("bad");

        var result = await ForwardAsync(forwarder, context);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal("the body is bad", Detail(context));
        Assert.Empty(forwarder.Calls);
    }

    [Fact]
    public async Task Forward_BodyTooLarge_RequestBodyTooLargeAndNoCall()
    {
        var forwarder = new TextForwarder(Task.FromResult);
        var context = Context("x");
        context.Request.Body = new ThrowingStream(new BadHttpRequestException("too large", 413));

        var result = await ForwardAsync(forwarder, context);

        Assert.Equal(ForwarderError.RequestBodyTooLarge, result.Error);
        Assert.Empty(forwarder.Calls);
    }

    public static TheoryData<Exception, string> Failures => new()
    {
        { new RefusedException(), nameof(ForwarderError.ConnectFailed) },
        { new TimeoutException("slow"), nameof(ForwarderError.ResponseHeadersTimeout) },
        { new IOException("reset"), nameof(ForwarderError.UpstreamFailed) },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Forward_ClientFailure_ForwarderErrorAndNothingWritten(Exception failure, string expected)
    {
        var context = Context("x");

        var result = await ForwardAsync(new TextForwarder(_ => Task.FromException<string>(failure)), context);

        Assert.Equal(Enum.Parse<ForwarderError>(expected), result.Error);
        Assert.Same(failure, result.Exception);
        Assert.False(result.RequestBodyStarted);
        Assert.Equal("", Body(context));
    }

    [Fact]
    public async Task Forward_ServerAnsweredAnError_502UpstreamError()
    {
        var context = Context("x");

        var result = await ForwardAsync(new TextForwarder(_ => Task.FromException<string>(new ServerAnsweredException("no such order"))), context);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(502, context.Response.StatusCode);
        Assert.Contains("upstream_error", Body(context));
        Assert.Equal("no such order", Detail(context));
    }

    [Fact]
    public async Task Forward_ClientGone_RequestCanceled()
    {
        using var aborted = new CancellationTokenSource();
        var context = Context("x");
        context.RequestAborted = aborted.Token;
        await aborted.CancelAsync();

        var result = await ForwardAsync(new TextForwarder(_ => Task.FromCanceled<string>(aborted.Token)), context);

        Assert.Equal(ForwarderError.RequestCanceled, result.Error);
    }

    [Fact]
    public async Task Forward_DeadlinePassed_RequestTimeout()
    {
        using var deadline = new CancellationTokenSource();
        await deadline.CancelAsync();

        var result = await ForwardAsync(new TextForwarder(_ => Task.FromCanceled<string>(deadline.Token)), Context("x"), deadline: deadline.Token);

        Assert.Equal(ForwarderError.RequestTimeout, result.Error);
    }

    [Fact]
    public async Task Forward_UnexpectedException_IsADefectNamingTheProtocol()
    {
        var forwarder = new TextForwarder(_ => Task.FromException<string>(new ArgumentException("bug")));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await ForwardAsync(forwarder, Context("x")));

        Assert.Equal("Text call to n1 failed unexpectedly", e.Message);
        Assert.IsType<ArgumentException>(e.InnerException);
    }

    [Fact]
    public async Task Forward_ClientGoneWhileWritingTheResult_ResponseBodyClient()
    {
        var forwarder = new TextForwarder(Task.FromResult) { ClientGoneWhileWriting = true };

        var result = await ForwardAsync(forwarder, Context("x"));

        Assert.Equal(ForwarderError.ResponseBodyClient, result.Error);
        Assert.IsType<IOException>(result.Exception);
    }

    private sealed class ThrowingStream(Exception failure) : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromException<int>(failure);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Task.FromException<int>(failure);

        public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
            => Task.FromException(failure);
    }
}
