using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gatehouse.Plugins;
using Gatehouse.Plugins.BuiltIn;
using Gatehouse.Plugins.BuiltIn.Aggregate;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Benchmarks.Filters;

/// <summary>
/// The <c>aggregate</c> filter's own cost per request: building and sending N calls in parallel, reading their bodies
/// and merging them into one JSON answer. The calls are answered by an in-process handler with small fixed JSON bodies,
/// so the figures leave out the calls themselves; in the gateway each call is a full request through its own listener,
/// which the load harness measures.
/// </summary>
/// <remarks>
/// <para><see cref="StubCallsOnly"/> is what the same N GETs cost through the same <see cref="HttpClient"/> and handler
/// without the filter (no headers forwarded, no body read, no merge): the part of the figures that is the client and
/// the stand-in for the network, not the filter.</para>
/// <para>Public and unsealed because BenchmarkDotNet derives its generated runner from the benchmark class.</para>
/// </remarks>
[MemoryDiagnoser]
public class AggregateBenchmarks
{
    private static readonly string[] Names = ["product", "price", "stock", "reviews"];
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.7");
    private readonly Uri[] _stubUris = new Uri[Names.Length];
    private IGatewayPlugin _allAnswer = null!;
    private IGatewayPlugin _oneFails = null!;
    private HttpClient _client = null!;
    private DefaultHttpContext _http = null!;

    /// <summary>How many calls the aggregation makes.</summary>
    [Params(2, 4)]
    public int Calls { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _client = new HttpClient(new FixedJsonHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        _allAnswer = Create(Settings(failLast: false));
        _oneFails = Create(Settings(failLast: true));
        for (var i = 0; i < _stubUris.Length; i++)
        {
            _stubUris[i] = new Uri($"http://127.0.0.1:8080/{Names[i]}/42");
        }

        // A product page as a browser asks for it: the calls forward its Authorization and carry its request id.
        _http = new DefaultHttpContext();
        _http.Connection.LocalIpAddress = IPAddress.Loopback;
        _http.Connection.LocalPort = 8080;
        _http.Connection.RemoteIpAddress = Client;
        _http.Request.Method = "GET";
        _http.Request.Scheme = "http";
        _http.Request.Host = new HostString("shop.example.com");
        _http.Request.Path = "/product-detail";
        _http.Request.QueryString = new QueryString("?id=42");
        _http.Request.Headers.Authorization = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl";
        _http.Request.Headers["X-Request-Id"] = "0HN8R2J5QK3A7:00000001";

        var merged = Merge().AsTask().GetAwaiter().GetResult();
        var partial = MergeWithOneFailed().AsTask().GetAwaiter().GetResult();
        if (merged == 0 || partial == 0)
        {
            throw new InvalidOperationException("the aggregation did not answer 200 with a body");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();

    /// <summary>Every call answers: N bodies merged under their keys.</summary>
    [Benchmark(Baseline = true)]
    public ValueTask<int> Merge() => RunAsync(_allAnswer);

    /// <summary>The last call answers 503: the others merged, that key null and listed under <c>errors</c> (partial policy).</summary>
    [Benchmark]
    public ValueTask<int> MergeWithOneFailed() => RunAsync(_oneFails);

    /// <summary>The same N GETs through the same client and handler, without the filter.</summary>
    [Benchmark]
    public async ValueTask<int> StubCallsOnly()
    {
        var pending = new Task<HttpResponseMessage>[Calls];
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = _client.GetAsync(_stubUris[i], HttpCompletionOption.ResponseHeadersRead);
        }

        var status = 0;
        foreach (var response in await Task.WhenAll(pending))
        {
            status += (int)response.StatusCode;
            response.Dispose();
        }

        return status;
    }

    private async ValueTask<int> RunAsync(IGatewayPlugin plugin)
    {
        var answer = await plugin.OnRequestAsync(new PluginContext(_http, "shop", "product-detail", Client));
        return answer is { Status: 200 } ? answer.Body.Length : 0;
    }

    private string Settings(bool failLast)
    {
        var calls = new List<string>(Calls);
        for (var i = 0; i < Calls; i++)
        {
            var prefix = failLast && i == Calls - 1 ? "/down" : "";
            calls.Add($$"""  "{{Names[i]}}": { "path": "{{prefix}}/{{Names[i]}}/${query.id}" }""");
        }

        return "{ \"timeoutMs\": 2000, \"calls\": {\n" + string.Join(",\n", calls) + "\n} }";
    }

    private IGatewayPlugin Create(string settings)
    {
        // The filter's internal constructor takes the client, so the calls go to the handler instead of a listener.
        var reader = new SettingsReader();
        var parsed = AggregateSettings.Read(JsonDocument.Parse(settings).RootElement, reader);
        if (reader.Errors.Count > 0)
        {
            throw new InvalidOperationException("bad benchmark settings: " + reader.Errors[0].Message);
        }

        return new AggregatePlugin(parsed, _client);
    }

    /// <summary>
    /// Answers every call at once with the same small JSON body, as a quick service would; a path under <c>/down</c>
    /// answers 503. One response message and content per call, as a real handler creates.
    /// </summary>
    private sealed class FixedJsonHandler : HttpMessageHandler
    {
        private static readonly byte[] Body =
            """{"id":42,"name":"Sample","price":{"amount":19.5,"currency":"EUR"},"tags":["new","sale"],"available":true}"""u8.ToArray();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.OriginalString.Contains("/down/", StringComparison.Ordinal))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request });
            }

            var content = new ByteArrayContent(Body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            content.Headers.ContentLength = Body.Length;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }
}
