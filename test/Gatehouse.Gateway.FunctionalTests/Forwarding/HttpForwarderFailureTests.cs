using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

public class HttpForwarderFailureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static ForwardOptions Options(int headersMs = 30_000, int idleMs = 30_000)
        => new(TimeSpan.FromMilliseconds(headersMs), TimeSpan.FromMilliseconds(idleMs));

    [Fact]
    public async Task ForwardAsync_NodeSlowToAnswer_ResponseHeadersTimeoutAndUpstreamRequestAborted()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backendAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.RequestAborted.Register(() => backendAborted.TrySetResult());
            await release.Task;
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress), Options(headersMs: 300));
        using var client = gateway.CreateClient();

        try
        {
            using var response = await client.GetAsync("/slow");

            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            var result = await gateway.NextResultAsync();
            Assert.Equal(ForwarderError.ResponseHeadersTimeout, result.Error);
            await backendAborted.Task.WaitAsync(Wait);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task ForwardAsync_NodeStallsMidBody_IdleTimeoutAbortsClient()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentLength = 100;
            await context.Response.WriteAsync("0123456789");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(context.RequestAborted);
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress), Options(idleMs: 300));
        using var client = gateway.CreateClient();

        try
        {
            using var response = await client.GetAsync("/stall", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            await using var body = await response.Content.ReadAsStreamAsync();
            var error = await Record.ExceptionAsync(() => body.CopyToAsync(Stream.Null).WaitAsync(Wait));
            Assert.IsAssignableFrom<IOException>(error);
            Assert.Equal(ForwarderError.IdleTimeout, (await gateway.NextResultAsync()).Error);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task ForwardAsync_NothingListening_ConnectFailedBeforeAnyBodyWasSent()
    {
        using var refusing = ReserveRefusingPort(out var port);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node($"http://127.0.0.1:{port}"));
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/refused", new ByteArrayContent(new byte[10_000]));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var result = await gateway.NextResultAsync();
        Assert.Equal(ForwarderError.ConnectFailed, result.Error);
        Assert.False(result.RequestBodyStarted);
        var requestException = Assert.IsType<HttpRequestException>(result.Exception);
        Assert.Equal(HttpRequestError.ConnectionError, requestException.HttpRequestError);
        var logged = Assert.Single(gateway.Logger.Entries);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal(2101, logged.EventId.Id);
        Assert.Contains("node-1", logged.Message);
    }

    [Fact]
    public async Task ForwardAsync_ConnectFailedThenRetriedOnAnotherNode_FullBodyAndSameRequestIdArrive()
    {
        var seenId = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            seenId.TrySetResult(context.Request.Headers["X-Request-Id"].ToString());
            await context.Request.Body.CopyToAsync(context.Response.Body);
        });
        using var refusing = ReserveRefusingPort(out var port);
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node($"http://127.0.0.1:{port}"),
            retryNode: ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();
        var payload = new byte[100_000];
        new Random(5).NextBytes(payload);

        using var response = await client.PostAsync("/retry", new ByteArrayContent(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ForwarderError.ConnectFailed, (await gateway.NextResultAsync()).Error);
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
        Assert.Equal(await seenId.Task.WaitAsync(Wait), Assert.Single(response.Headers.GetValues("X-Request-Id")));
    }

    [Fact]
    public async Task ForwardAsync_ListenerBacklogFull_ConnectTimeout()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = await FullBacklog.FillAsync(port);
        try
        {
            await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node($"http://127.0.0.1:{port}"),
                transport: new UpstreamTransportSettings(TimeSpan.FromMilliseconds(400)));
            using var client = gateway.CreateClient();

            using var response = await client.GetAsync("/backlog");

            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            var result = await gateway.NextResultAsync();
            Assert.Equal(ForwarderError.ConnectTimeout, result.Error);
            Assert.False(result.RequestBodyStarted);
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public async Task ForwardAsync_ClientAbortsMidUpload_NodeSeesTheAbort()
    {
        var backendReading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backendFailed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var buffer = new byte[16 * 1024];
            long total = 0;
            try
            {
                while (true)
                {
                    var read = await context.Request.Body.ReadAsync(buffer);
                    if (read == 0)
                    {
                        backendFailed.TrySetException(new InvalidOperationException("the body ended cleanly"));
                        return;
                    }

                    total += read;
                    if (total >= 256 * 1024)
                    {
                        backendReading.TrySetResult();
                    }
                }
            }
            catch (Exception ex)
            {
                backendFailed.TrySetResult(ex);
            }
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();
        using var abort = new CancellationTokenSource();

        var upload = new EndlessContent(backendReading.Task);
        var send = client.PostAsync("/upload", upload, abort.Token);
        await backendReading.Task.WaitAsync(Wait);
        abort.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        var backendError = await backendFailed.Task.WaitAsync(Wait);
        Assert.IsAssignableFrom<IOException>(backendError);
        var result = await gateway.NextResultAsync();
        Assert.Equal(ForwarderError.RequestBodyClient, result.Error);
        Assert.True(result.RequestBodyStarted);
        // A client's abort is its own doing: one client-error warning, without the exception and its stack.
        var logged = Assert.Single(gateway.Logger.Entries);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal(4201, logged.EventId.Id);
        Assert.Null(logged.Exception);
        Assert.Contains("Aborted", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardAsync_ClientAbortsMidDownload_NodeSeesTheAbort()
    {
        var backendAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.RequestAborted.Register(() => backendAborted.TrySetResult());
            var chunk = new byte[64 * 1024];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using (var response = await client.GetAsync("/endless", HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.ReadExactlyAsync(new byte[1024 * 1024]).AsTask().WaitAsync(Wait);
        }

        await backendAborted.Task.WaitAsync(Wait);
        Assert.Equal(ForwarderError.ResponseBodyClient, (await gateway.NextResultAsync()).Error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ForwardAsync_NodeDiesMidResponse_ClientConnectionAborted(bool withContentLength)
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (withContentLength)
            {
                context.Response.ContentLength = 1024 * 1024;
            }

            await context.Response.Body.WriteAsync(new byte[64 * 1024]);
            await context.Response.Body.FlushAsync();
            context.Abort();
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/dies", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var error = await Record.ExceptionAsync(() => body.CopyToAsync(Stream.Null).WaitAsync(Wait));

        Assert.IsAssignableFrom<IOException>(error);
        Assert.Equal(ForwarderError.ResponseBodyUpstream, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_MalformedChunkedBody_RequestBodyMalformed()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        var port = new Uri(gateway.BaseAddress).Port;

        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /bad HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ-not-hex\r\n"));
        var statusLine = await ReadLineAsync(stream).WaitAsync(Wait);

        Assert.StartsWith("HTTP/1.1 400", statusLine);
        Assert.Equal(ForwarderError.RequestBodyMalformed, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_BodyOverTheServerLimit_RequestBodyTooLarge()
    {
        await using var backend = await TestBackend.StartAsync(context => context.Request.Body.CopyToAsync(Stream.Null));
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress),
            beforeForward: context => context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = 1000);
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/big", new StreamContent(new MemoryStream(new byte[100_000])));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(ForwarderError.RequestBodyTooLarge, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_ConnectMethod_NotSupportedAndNothingSent()
    {
        var hits = 0;
        await using var backend = await TestBackend.StartAsync(_ =>
        {
            Interlocked.Increment(ref hits);
            return Task.CompletedTask;
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        var port = new Uri(gateway.BaseAddress).Port;

        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
        var statusLine = await ReadLineAsync(stream).WaitAsync(Wait);

        Assert.StartsWith("HTTP/1.1 400", statusLine);
        Assert.Equal(ForwarderError.RequestNotSupported, (await gateway.NextResultAsync()).Error);
        Assert.Equal(0, Volatile.Read(ref hits));
    }

    /// <summary>
    /// A port that refuses connections: bound but not listening. Keeping it bound (rather than closing a probe
    /// socket) stops another listener, such as the test gateway itself, from taking the port meanwhile.
    /// </summary>
    private static Socket ReserveRefusingPort(out int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r');
    }

    /// <summary>Writes data until the request is canceled.</summary>
    private sealed class EndlessContent(Task backendReading) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var chunk = new byte[32 * 1024];
            while (!backendReading.IsCompleted)
            {
                await stream.WriteAsync(chunk, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            // Keep the request open, sending nothing, until the test aborts it.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
