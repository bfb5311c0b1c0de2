using System.Buffers;
using System.Text;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Forwarding.Tars;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Tests.Forwarding.Rpc;
using Gatehouse.Tars.Client;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Gateway.Tests.Forwarding.Rpc.RpcForwarderTestKit;

namespace Gatehouse.Gateway.Tests.Forwarding.Tars;

public sealed class TarsForwarderTests
{
    private sealed class FakeInvoker(Func<TarsInvocation, Task<TarsResponse>> answer)
        : RecordingInvoker<TarsInvocation, TarsResponse>(answer), ITarsInvoker
    {
        public Task<TarsResponse> InvokeAsync(string host, int port, TarsInvocation invocation, TimeSpan timeout, CancellationToken cancellationToken = default)
            => Record(host, port, invocation, timeout);
    }

    private static TarsApiModel Model(TarsApiConfig tars, string path = "/x", MatchKind kind = MatchKind.Exact)
        => TarsApiModel.For(new ApiConfig { Id = "a", Path = path, Protocol = ApiProtocol.Tars, Tars = tars }, kind)!;

    private static readonly TarsApiModel Add = Model(new TarsApiConfig
    {
        Servant = "A.B.C", Function = "add", ContextHeaders = ["X-Tenant"],
        Parameters = [new() { Name = "a", Type = "int" }, new() { Name = "b", Type = "long" }, new() { Name = "sum", Type = "string", Out = true }],
        ReturnType = "int",
    });

    private static readonly NodeModel Node = NodeAt("t1", "tars://10.0.0.9:10015");

    private static ValueTask<ForwardResult> ForwardAsync(ITarsInvoker invoker, HttpContext context, TarsApiModel api)
        => new TarsForwarder(invoker, NullLogger<TarsForwarder>.Instance).ForwardAsync(context, Node, context.Request.Path, api,
            Options, default);

    private static byte[] Encoded(Action<TarsWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(new TarsWriter(output));
        return output.WrittenSpan.ToArray();
    }

    private static TarsResponse TupResult(int ret, string sum) => new(1, TarsVersion.TupSimple, 0, "", Tup.Encode(
    [
        new("", Encoded(w => w.WriteInt32(0, ret))),
        new("sum", Encoded(w => w.WriteString(0, sum))),
    ]), null);

    [Fact]
    public async Task Forward_Tup_NamedArgumentsEncodedAndResultWithOutParameters()
    {
        var invoker = new FakeInvoker(_ => Task.FromResult(TupResult(7, "seven")));
        var context = Context("""{"b": 5000000000, "a": 2}""");

        var result = await ForwardAsync(invoker, context, Add);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("""{"tars_ret":7,"sum":"seven"}""", Body(context));
        var (host, port, invocation, timeout) = Assert.Single(invoker.Calls);
        Assert.Equal(("10.0.0.9", 10015, TimeSpan.FromSeconds(3)), (host, port, timeout));
        Assert.Equal((TarsVersion.TupSimple, "A.B.C", "add"), (invocation.Version, invocation.Servant, invocation.Function));
        var values = Tup.Decode(invocation.Buffer);
        Assert.Equal(["a", "b"], values.Keys.Order());
        var reader = new TarsReader(values["b"].Span);
        Assert.Equal(5000000000L, reader.ReadInteger(reader.ReadHead().Type));
        Assert.Contains(new KeyValuePair<string, string>("x-tenant", "t1"), invocation.Context!);
        Assert.Contains(invocation.Context!, c => c.Key == "x-request-id");
    }

    [Fact]
    public async Task Forward_TupArgumentsFromPathAndQuery()
    {
        var api = Model(new TarsApiConfig
        {
            Servant = "A.B.C", Function = "f", ReturnType = "void",
            Parameters = [new() { Name = "id", Type = "long" }, new() { Name = "name", Type = "string" }, new() { Name = "tags", Type = "vector<int>" }],
        }, "/users/{id}", MatchKind.Template);
        var invoker = new FakeInvoker(_ => Task.FromResult(new TarsResponse(1, 3, 0, "", Tup.Encode([]), null)));
        var context = Context("", "/users/42", "?name=007&tags=[1,2]");

        await ForwardAsync(invoker, context, api);

        Assert.Equal("null", Body(context));
        var values = Tup.Decode(Assert.Single(invoker.Calls).Invocation.Buffer);
        var id = new TarsReader(values["id"].Span);
        Assert.Equal(42, id.ReadInteger(id.ReadHead().Type));
        var name = new TarsReader(values["name"].Span);
        Assert.Equal("007", name.ReadString(name.ReadHead().Type));
        Assert.Equal(TarsHeadType.List, new TarsReader(values["tags"].Span).ReadHead().Type);
    }

    [Theory]
    [InlineData("""{"a": 1, "b": "x"}""", "argument 'b' (long)")]
    [InlineData("""{"a": 2147483648}""", "outside the range of int")]
    [InlineData("""{"c": 1}""", "no parameter 'c'")]
    [InlineData("[1]", "takes 2 argument(s)")]
    [InlineData("{bad", "not JSON")]
    public async Task Forward_BadArguments_400WithoutCalling(string body, string detail)
    {
        var invoker = new FakeInvoker(_ => throw new InvalidOperationException("not called"));
        var context = Context(body);

        var result = await ForwardAsync(invoker, context, Add);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(400, context.Response.StatusCode);
        Assert.Contains(detail, Detail(context));
        Assert.Empty(invoker.Calls);
    }

    [Fact]
    public async Task Forward_JsonMode_BodyAndAnswerPassThrough()
    {
        var api = Model(new TarsApiConfig { Servant = "A.B.C", Function = "f", Mode = TarsMode.Json });
        var invoker = new FakeInvoker(i => Task.FromResult(new TarsResponse(1, TarsVersion.Json, 0, "", Encoding.UTF8.GetBytes("""{"tars_ret":1}"""), null)));
        var context = Context("""{"x": [1, 2]}""");

        await ForwardAsync(invoker, context, api);

        Assert.Equal("""{"tars_ret":1}""", Body(context));
        var invocation = Assert.Single(invoker.Calls).Invocation;
        Assert.Equal(TarsVersion.Json, invocation.Version);
        Assert.Equal("""{"x": [1, 2]}""", Encoding.UTF8.GetString(invocation.Buffer.Span));
    }

    [Theory]
    [InlineData(-1, 502, "Tars return code -1 (TARSSERVERDECODEERR): why")]
    [InlineData(-3, 502, "Tars return code -3 (TARSSERVERNOFUNCERR): why")]
    [InlineData(-4, 502, "Tars return code -4 (TARSSERVERNOSERVANTERR): why")]
    [InlineData(-9, 502, "Tars return code -9 (TARSSERVEROVERLOAD): why")]
    [InlineData(7, 502, "Tars return code 7 (TARS_ERROR): why")]
    public async Task Forward_ReturnCode_UpstreamErrorNamingIt(int code, int status, string detail)
    {
        var invoker = new FakeInvoker(_ => throw new TarsReturnCodeException(code, "why"));
        var context = Context("[1, 2]");

        var result = await ForwardAsync(invoker, context, Add);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(status, context.Response.StatusCode);
        Assert.Contains("upstream_error", Body(context));
        Assert.Equal(detail, Detail(context));
    }

    public static TheoryData<Exception, string> Failures => new()
    {
        { new TarsReturnCodeException(-6, "queue"), nameof(ForwarderError.ResponseHeadersTimeout) },
        { new TarsReturnCodeException(-7, "timeout"), nameof(ForwarderError.ResponseHeadersTimeout) },
        { new TarsTimeoutException("slow"), nameof(ForwarderError.ResponseHeadersTimeout) },
        { new TarsConnectException("refused"), nameof(ForwarderError.ConnectFailed) },
        { new TarsConnectionLostException("reset"), nameof(ForwarderError.UpstreamFailed) },
        { new TarsProtocolException("junk"), nameof(ForwarderError.UpstreamFailed) },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Forward_TransportFailuresAndTimeoutCodes_AreForwarderErrors(Exception failure, string expected)
    {
        var invoker = new FakeInvoker(_ => Task.FromException<TarsResponse>(failure));
        var context = Context("[1, 2]");

        var result = await ForwardAsync(invoker, context, Add);

        Assert.Equal(Enum.Parse<ForwarderError>(expected), result.Error);
        Assert.False(context.Response.HasStarted);
    }

    [Fact]
    public async Task Forward_Retry_ReusesTheEncodedArguments()
    {
        var calls = 0;
        var invoker = new FakeInvoker(_ => ++calls == 1 ? Task.FromException<TarsResponse>(new TarsConnectException("refused")) : Task.FromResult(TupResult(3, "")));
        var context = Context("[1, 2]");

        Assert.Equal(ForwarderError.ConnectFailed, (await ForwardAsync(invoker, context, Add)).Error);
        Assert.Equal(ForwarderError.None, (await ForwardAsync(invoker, context, Add)).Error);
        Assert.Equal(invoker.Calls[0].Invocation.Buffer.ToArray(), invoker.Calls[1].Invocation.Buffer.ToArray());
    }

    [Fact]
    public async Task Forward_ResultNotMatchingTypes_502BeforeAnythingIsSent()
    {
        var invoker = new FakeInvoker(_ => Task.FromResult(new TarsResponse(1, 3, 0, "", Tup.Encode([new("", Encoded(w => w.WriteString(0, "x")))]), null)));
        var context = Context("[1, 2]");

        await ForwardAsync(invoker, context, Add);

        Assert.Equal(502, context.Response.StatusCode);
        Assert.Contains("does not match its declared types", Body(context));
    }
}
