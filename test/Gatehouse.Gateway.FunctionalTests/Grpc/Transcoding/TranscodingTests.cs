using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Tests.Transcode;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Gatehouse.Gateway.FunctionalTests.Grpc.Transcoding;

/// <summary>
/// HTTP/JSON → gRPC transcoding end to end: a plain HttpClient (HTTP/1.1) calls the gateway, which calls real
/// Grpc.AspNetCore nodes over HTTP/2 and answers JSON. The reference for the JSON is Google.Protobuf's JsonFormatter
/// on the generated classes of the same proto.
/// </summary>
public class TranscodingTests(TranscodingFixture fixture) : IClassFixture<TranscodingFixture>
{
    private static readonly JsonFormatter Reference = new(JsonFormatter.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(Nested.Descriptor, Duration.Descriptor)));

    private HttpClient Client => fixture.Gateway.Client;

    [Fact]
    public async Task Unary_EveryJsonShape_RoundTripsThroughTheNode()
    {
        // Scalars, 64-bit integers, enums, nested and repeated messages, maps, a oneof, Timestamp, Duration, wrappers,
        // Struct/Value/ListValue, FieldMask, Any and Empty: sent as JSON, decoded by the node, sent back, rendered again.
        var message = new Everything
        {
            DoubleValue = 2.5, FloatValue = 1.25f, Int32Value = -3, Int64Value = 9007199254740993, Uint64Value = ulong.MaxValue,
            Sint64Value = -5, Fixed64Value = 6, BoolValue = true, StringValue = "héllo", BytesValue = ByteString.CopyFromUtf8("bytes"),
            Genre = Genre.History, Nested = new Nested { Label = "n", Weight = long.MinValue },
            NestedList = { new Nested { Label = "a" }, new Nested { Weight = 2 } }, Numbers = { 1, 2, 3 }, Tags = { "x" },
            Counts = { ["k"] = 1L << 60 }, ById = { [7] = new Nested { Label = "seven" } }, ChoiceNumber = 0,
            At = Timestamp.FromDateTime(new DateTime(2024, 5, 1, 12, 0, 0, 250, DateTimeKind.Utc)), Took = Duration.FromTimeSpan(TimeSpan.FromSeconds(90.5)),
            MaybeInt = 0, MaybeText = "", MaybeBool = true,
            Attributes = new Struct { Fields = { ["a"] = Value.ForNumber(1), ["b"] = Value.ForList(Value.ForNull(), Value.ForString("s")) } },
            Anything = Value.ForStruct(new Struct { Fields = { ["deep"] = Value.ForBool(false) } }),
            List = new ListValue { Values = { Value.ForNumber(3) } }, Mask = new FieldMask { Paths = { "nested.label" } },
            Extra = Any.Pack(new Nested { Label = "any" }), OptionalInt = 0, Nothing = new Empty(), Flags = { [true] = "t" },
        };
        var json = Reference.Format(message);

        using var response = await Client.PostAsync("/v1/echo", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(body)), $"sent {json}\ngot  {body}");
        Assert.Contains("\"int64Value\":\"9007199254740993\"", body);
        Assert.Contains("\"choiceNumber\":0", body);
    }

    [Fact]
    public async Task Unary_PathAndQuery_BindFields_AndHeadersReachTheNode()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/shelves/fantasy?view=FULL&min_pages=3&serviceName=library");
        request.Headers.Add("x-theme", "dragons");
        using var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"name":"shelves/fantasy","theme":"dragons","view":"FULL","minPages":3}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unary_AdditionalBinding_NestedPathField_RepeatedQuery_Int64InPath()
    {
        var body = await Client.GetStringAsync("/v1/echo/9007199254740993/lbl?tags=a&tags=b&genre=2&maybeInt=5&at=2024-01-02T03:04:05Z&boolValue=true");
        var json = JsonNode.Parse(body)!;
        Assert.Equal("9007199254740993", json["int64Value"]!.GetValue<string>());
        Assert.Equal("lbl", json["nested"]!["label"]!.GetValue<string>());
        Assert.Equal("""["a","b"]""", json["tags"]!.ToJsonString());
        Assert.Equal("HISTORY", json["genre"]!.GetValue<string>());
        Assert.Equal(5, json["maybeInt"]!.GetValue<int>());
        Assert.Equal("2024-01-02T03:04:05Z", json["at"]!.GetValue<string>());
        Assert.True(json["boolValue"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Unary_BodyField_PathVariable_QueryParameter()
    {
        using var response = await Client.PostAsync("/v1/shelves/s1/books?requestId=r-9",
            new StringContent("""{"title":"Dune","author":"Herbert","genre":"FICTION","published":"1965-08-01T00:00:00Z"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":"1001","title":"Dune","author":"Herbert (shelves/s1, r-9)","genre":"FICTION","published":"1965-08-01T00:00:00Z"}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unary_BodyStar_PathVariableWinsOverTheBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/v1/books/42")
        {
            Content = new StringContent("""{"id":"1","title":"T"}""", Encoding.UTF8, "application/json"),
        };
        using var response = await Client.SendAsync(request);
        Assert.Equal("""{"id":"42","title":"T"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unary_ResponseBodyField_AndEmptyReply()
    {
        Assert.Equal("\"Title 7\"", await Client.GetStringAsync("/v1/books/7/title"));
        using var deleted = await Client.DeleteAsync("/v1/books/7");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("{}", await deleted.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(3, 400, "INVALID_ARGUMENT")]
    [InlineData(5, 404, "NOT_FOUND")]
    [InlineData(6, 409, "ALREADY_EXISTS")]
    [InlineData(7, 403, "PERMISSION_DENIED")]
    [InlineData(8, 429, "RESOURCE_EXHAUSTED")]
    [InlineData(9, 400, "FAILED_PRECONDITION")]
    [InlineData(12, 501, "UNIMPLEMENTED")]
    [InlineData(13, 500, "INTERNAL")]
    [InlineData(14, 503, "UNAVAILABLE")]
    [InlineData(16, 401, "UNAUTHENTICATED")]
    public async Task GrpcError_IsProblemJson_WithTheMappedStatus(int code, int status, string name)
    {
        using var response = await Client.GetAsync($"/v1/fail/{code}?message=it%20failed%20%C3%BC");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("grpc_error", problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("grpcStatus").GetInt32());
        Assert.Equal(name, problem.GetProperty("grpcCode").GetString());
        Assert.Equal("it failed ü", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GrpcError_WithStatusDetails_CarriesThemAsJson()
    {
        using var response = await Client.GetAsync("/v1/shelves/missing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("shelf 'missing' does not exist", problem.GetProperty("detail").GetString());
        var detail = Assert.Single(problem.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.ResourceInfo", detail.GetProperty("@type").GetString());
        Assert.Equal("shelves/missing", detail.GetProperty("resourceName").GetString());
    }

    [Theory]
    [InlineData("POST", "/v1/echo", """{"nope":1}""", 400, "bad_request", "has no field 'nope'")]
    [InlineData("POST", "/v1/echo", """{"int32Value":"x"}""", 400, "bad_request", "int32Value")]
    [InlineData("POST", "/v1/echo", "not json", 400, "bad_request", "not JSON")]
    [InlineData("GET", "/v1/nothing/here", null, 404, "api_not_found", "No gRPC method")]
    [InlineData("PUT", "/v1/echo", "{}", 404, "api_not_found", "not for PUT")]
    [InlineData("GET", "/v1/echo/notanumber/x", null, 400, "bad_request", "not an integer")]
    public async Task BadRequests_AreGatewayProblems(string method, string path, string? body, int status, string code, string detail)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await Client.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ExplicitRule_ReachesAnUnannotatedMethod_OverANodeWithoutProtocolHttp2()
    {
        using var response = await Client.PostAsync("/v2/books/5:shout", new StringContent("""{"title":"quiet"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":"5","title":"QUIET"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("""{"name":"top","theme":"none"}""", await Client.GetStringAsync("/v2/shelf/top"));
    }
}

/// <summary>Every transcoding test again, through a gateway on the loop engine (HTTP/2 to the nodes over loop-carried connections).</summary>
public sealed class TranscodingTestsOnLoop(TranscodingLoopFixture fixture) : TranscodingTests(fixture), IClassFixture<TranscodingLoopFixture>
{
    private readonly TranscodingLoopFixture _fixture = fixture;

    [Fact]
    public async Task NodeConnections_CarriedByTheLoops()
    {
        using var warm = await _fixture.Gateway.Client.GetAsync("/v1/shelves/missing");
        using var response = await _fixture.Gateway.Client.GetAsync("/v1/shelves/missing");

        Assert.True(Gatehouse.Gateway.Engine.LoopEngine.UpstreamConnections(_fixture.Gateway.Services) > 0,
            $"the loop engine carried no node connection for transcoded calls ({(int)response.StatusCode})");
    }
}
