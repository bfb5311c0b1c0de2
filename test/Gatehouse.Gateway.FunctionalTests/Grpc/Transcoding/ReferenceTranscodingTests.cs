using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Tests.Transcode;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>
/// The gateway's transcoding against the reference: the same service transcoded by Microsoft.AspNetCore.Grpc.JsonTranscoding
/// on the node itself. Each request goes to both; status and JSON must agree. The reference runs with
/// <c>IgnoreDefaultValues = true</c>, the proto3 JSON default the gateway follows (docs/protocols.md, "Differences").
/// </summary>
public sealed class ReferenceTranscodingTests(TranscodingFixture fixture) : IClassFixture<TranscodingFixture>, IAsyncLifetime
{
    private TestBackend? _reference;
    private HttpClient? _direct;

    public async Task InitializeAsync()
    {
        _reference = await TestBackend.StartWithPipelineAsync(app => app.MapGrpcService<LibraryService>(), HttpProtocols.Http1,
            services => services.AddGrpc().AddJsonTranscoding(o =>
            {
                o.JsonSettings.IgnoreDefaultValues = true;
                o.JsonSettings.WriteInt64sAsStrings = true;
                o.TypeRegistry = TypeRegistry.FromMessages(Nested.Descriptor, Google.Rpc.ResourceInfo.Descriptor);
            }));
        _direct = new HttpClient { BaseAddress = new Uri(_reference.BaseAddress) };
    }

    public async Task DisposeAsync()
    {
        _direct?.Dispose();
        if (_reference is not null)
        {
            await _reference.DisposeAsync();
        }
    }

    public static TheoryData<string, string, string?> Requests()
    {
        var everything = new JsonFormatter(JsonFormatter.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(Nested.Descriptor)))
            .Format(new Everything
            {
                DoubleValue = 2.5, Int64Value = long.MinValue, Uint64Value = ulong.MaxValue, BoolValue = true, StringValue = "s",
                BytesValue = ByteString.CopyFromUtf8("b"), Genre = Genre.Fiction, Nested = new Nested { Label = "n" },
                NestedList = { new Nested { Weight = 3 } }, Numbers = { 1, 2 }, Counts = { ["a"] = 1 }, ById = { [1] = new Nested() },
                ChoiceText = "", At = Timestamp.FromDateTime(new DateTime(2020, 1, 1, 0, 0, 0, 1, DateTimeKind.Utc)),
                Took = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500)), MaybeInt = 0, MaybeText = "w",
                Attributes = new Struct { Fields = { ["k"] = Value.ForList(Value.ForNumber(1), Value.ForNull()) } },
                Anything = Value.ForString("v"), Mask = new FieldMask { Paths = { "a_b" } }, Extra = Any.Pack(new Nested { Label = "x" }),
                Nothing = new Empty(), OptionalInt = 0,
            });
        return new TheoryData<string, string, string?>
        {
            { "POST", "/v1/echo", everything },
            { "POST", "/v1/echo", """{"int64_value":12}""" },
            { "POST", "/v1/echo", """{"genre":2}""" },
            { "POST", "/v1/echo", """{"at":"2020-01-01T01:00:00+01:00"}""" },
            { "POST", "/v1/echo", """{"uint64Value":18446744073709551615}""" },
            { "POST", "/v1/echo", """{"floatValue":"NaN"}""" },
            { "POST", "/v1/echo", "{}" },
            { "GET", "/v1/shelves/fantasy?view=FULL&minPages=3", null },
            { "GET", "/v1/shelves/fantasy?view=2&min_pages=3&unknown=1", null },
            { "GET", "/v1/echo/9007199254740993/lbl?tags=a&tags=b&genre=HISTORY&maybeInt=4&doubleValue=1.5", null },
            { "POST", "/v1/shelves/s1/books?requestId=r", """{"title":"T","tags":["x"],"published":"1999-12-31T23:59:59.999Z"}""" },
            { "PATCH", "/v1/books/42", """{"id":"1","title":"T"}""" },
            { "GET", "/v1/books/7/title", null },
            { "DELETE", "/v1/books/7", null },
            { "GET", "/v1/fail/5?message=gone", null },
            { "GET", "/v1/fail/14", null },
            { "GET", "/v1/shelves/missing", null },
        };
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Gateway_AgreesWithJsonTranscoding(string method, string path, string? body)
    {
        var (gatewayStatus, gatewayBody) = await SendAsync(fixture.Gateway.Client, method, path, body);
        var (referenceStatus, referenceBody) = await SendAsync(_direct!, method, path, body);

        Assert.True(referenceStatus == gatewayStatus, $"reference {referenceStatus} {referenceBody}\ngateway   {gatewayStatus} {gatewayBody}");
        var ours = JsonNode.Parse(gatewayBody);
        var reference = JsonNode.Parse(referenceBody);
        if (referenceStatus == 200)
        {
            Assert.True(JsonNode.DeepEquals(reference, ours), $"reference {referenceBody}\ngateway   {gatewayBody}");
            return;
        }

        // Errors: the reference answers a google.rpc.Status, the gateway problem JSON carrying the same code and message.
        Assert.Equal(reference!["code"]!.GetValue<int>(), ours!["grpcStatus"]!.GetValue<int>());
        Assert.Equal(reference["message"]?.GetValue<string>() ?? "", ours["detail"]?.GetValue<string>() ?? "");
    }

    /// <summary>
    /// Input the proto3 JSON mapping allows (and Google.Protobuf's JsonParser accepts) but the reference refuses with 400:
    /// the gateway follows the mapping (docs/protocols.md, "Differences").
    /// </summary>
    [Theory]
    [InlineData("""{"int32Value":"7"}""", "int32Value", "7")]                 // "Either numbers or strings are accepted"
    [InlineData("""{"bytesValue":"AAH6-_8"}""", "bytesValue", "AAH6+/8=")]  // "standard or URL-safe base64 ... with/without paddings"
    [InlineData("""{"took":"-0.5s"}""", "took", "-0.500s")]               // a negative duration under one second
    public async Task Gateway_AcceptsWhatTheMappingAllows_WhereTheReferenceRefuses(string body, string field, string expected)
    {
        var (referenceStatus, _) = await SendAsync(_direct!, "POST", "/v1/echo", body);
        Assert.Equal(400, referenceStatus);
        var (gatewayStatus, gatewayBody) = await SendAsync(fixture.Gateway.Client, "POST", "/v1/echo", body);
        Assert.Equal(200, gatewayStatus);
        var value = JsonNode.Parse(gatewayBody)![field]!;
        Assert.Equal(expected, value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString());
    }

    private static async Task<(int Status, string Body)> SendAsync(HttpClient client, string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
