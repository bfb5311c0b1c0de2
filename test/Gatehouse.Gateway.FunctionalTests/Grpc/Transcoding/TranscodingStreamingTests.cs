using System.Net;
using System.Text.Json;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>Server streaming through the transcoder: NDJSON by default, SSE on request, errors before and after the first message.</summary>
public sealed class TranscodingStreamingTests(TranscodingFixture fixture) : IClassFixture<TranscodingFixture>
{
    private HttpClient Client => fixture.Gateway.Client;

    [Fact]
    public async Task ServerStreaming_IsNdjson_OneMessagePerLine()
    {
        using var response = await Client.GetAsync("/v1/shelves/s/books:stream?count=3", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');
        Assert.Equal(
        [
            """{"id":"1","title":"shelves/s #1","genre":"FICTION"}""",
            """{"id":"2","title":"shelves/s #2","genre":"FICTION"}""",
            """{"id":"3","title":"shelves/s #3","genre":"FICTION"}""",
            "",
        ], lines);
    }

    [Fact]
    public async Task ServerStreaming_AcceptEventStream_IsSse()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/shelves/s/books:stream?count=2");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await Client.SendAsync(request);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""
            data: {"id":"1","title":"shelves/s #1","genre":"FICTION"}

            data: {"id":"2","title":"shelves/s #2","genre":"FICTION"}


            """.Replace("\r\n", "\n"), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ServerStreaming_ErrorAfterMessages_IsTheLastRecord()
    {
        var body = await Client.GetStringAsync("/v1/shelves/s/books:stream?count=2&failCode=14");
        var lines = body.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        var error = JsonDocument.Parse(lines[2]).RootElement.GetProperty("error");
        Assert.Equal(503, error.GetProperty("status").GetInt32());
        Assert.Equal("UNAVAILABLE", error.GetProperty("grpcCode").GetString());
        Assert.Equal("stopped after 2", error.GetProperty("detail").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/shelves/s/books:stream?count=1&failCode=14");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var sse = await Client.SendAsync(request);
        var events = await sse.Content.ReadAsStringAsync();
        Assert.Contains("event: error\ndata: {\"status\":503,\"code\":\"grpc_error\",\"grpcStatus\":14,\"grpcCode\":\"UNAVAILABLE\"", events);
    }

    [Fact]
    public async Task ServerStreaming_ErrorBeforeAnyMessage_IsProblemJsonWithItsStatus()
    {
        using var response = await Client.GetAsync("/v1/shelves/s/books:stream?count=0&failCode=5");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ServerStreaming_NoMessages_IsAnEmptyStream()
    {
        using var response = await Client.GetAsync("/v1/shelves/s/books:stream?count=0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ResponseHeadersTimeout_BeforeTheFirstMessage_Is504()
    {
        using var response = await Client.GetAsync("/timed/v1/shelves/s/books:stream?count=1&delayMs=5000");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"code\":\"upstream_timeout\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RequestTimeout_InTheMiddleOfAStream_ResetsIt_AfterTheMessagesSoFar()
    {
        // Headers and a book every 300 ms; the whole-request deadline (2.5 s) ends the stream after a few.
        using var response = await Client.GetAsync("/timed/v1/shelves/s/books:stream?count=20&delayMs=300", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = 0;
        var failure = await Record.ExceptionAsync(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                Assert.StartsWith("{\"id\":", line);
                lines++;
            }
        });
        Assert.NotNull(failure); // a reset, never a stream that looks complete
        Assert.InRange(lines, 1, 9);
    }
}
