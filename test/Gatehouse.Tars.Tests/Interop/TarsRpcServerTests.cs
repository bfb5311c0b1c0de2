using System.Buffers;
using System.Text;
using System.Text.Json;
using Gatehouse.Tars.Client;
using Gatehouse.Tars.Json;
using Gatehouse.Tars.Protocol;
using Gatehouse.Tars.Schema;
using Gatehouse.Testing;

namespace Gatehouse.Tars.Tests.Interop;

/// <summary>
/// The client against a real @tars/rpc 2.0.15 server (test/tools/tars/server.js): TUP and JSON calls, return codes,
/// many calls multiplexed on one connection, timeouts, a server killed mid-call and the reconnect after it.
/// </summary>
public sealed class TarsRpcServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private TarsServerProcess _server = null!;
    private TarsInvoker _invoker = null!;
    private TarsIdl _idl = null!;

    public async Task InitializeAsync()
    {
        _server = await TarsServerProcess.StartAsync("s1");
        _invoker = new TarsInvoker();
        _idl = TarsIdlParser.Parse(await File.ReadAllTextAsync(TarsServerProcess.InterfaceFile));
    }

    public async Task DisposeAsync()
    {
        await _invoker.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<string> CallTupAsync(string function, string argumentsJson, TimeSpan? timeout = null)
    {
        var definition = _idl.Function("Demo", function);
        using var document = JsonDocument.Parse(argumentsJson);
        var arguments = new JsonElement?[definition.Parameters.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = document.RootElement.TryGetProperty(definition.Parameters[i].Name, out var value) ? value : null;
        }

        var invocation = new TarsInvocation(TarsVersion.TupSimple, TarsServerProcess.Servant, function,
            TarsTupJson.EncodeArguments(definition, arguments), [new("x-request-id", "r-1")]);
        var response = await _invoker.InvokeAsync("127.0.0.1", _server.Port, invocation, timeout ?? Timeout);
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            TarsTupJson.WriteResult(definition, response.Buffer, json);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public async Task Tup_PrimitivesStringsListsMapsStructs()
    {
        Assert.Equal("5", await CallTupAsync("add", """{"a": 2, "b": 3}"""));
        Assert.Equal("\"ab\"", await CallTupAsync("concat", """{"a": "a", "b": "b"}"""));
        Assert.Equal("""{"tars_ret":3000000045.75,"sum":3000000040}""",
            await CallTupAsync("scalars", """{"t": true, "b": -1, "s": 300, "i": -70000, "l": 3000069741, "f": 3.75, "d": 1}"""));
        Assert.Equal("[0,1,2]", await CallTupAsync("range", """{"n": 3}"""));
        Assert.Equal("""{"a":2,"b":1}""", await CallTupAsync("countWords", """{"words": ["a", "b", "a"]}"""));
        Assert.Equal("""{"first":"y","second":"x"}""", await CallTupAsync("swap", """{"a": "x", "b": "y"}"""));
        Assert.Equal("\"AwIB\"", await CallTupAsync("reverseBytes", """{"data": "AQID"}"""));
        var user = """{"id":7,"name":"user-7","tags":["a","b"],"address":{"city":"Shenzhen","zip":518000},"scores":{"math":90,"art":-3},"note":"s1"}""";
        Assert.Equal(user, await CallTupAsync("getUser", """{"id": 7}"""));
        Assert.Equal(user, await CallTupAsync("echoUser", $$"""{"user": {{user}}}"""));
    }

    [Fact]
    public async Task Json_BodyPassedThroughAndAnswerReturnedAsIs()
    {
        var invocation = new TarsInvocation(TarsVersion.Json, TarsServerProcess.Servant, "add", Encoding.UTF8.GetBytes("""{"a": 40, "b": 2}"""));
        var response = await _invoker.InvokeAsync("127.0.0.1", _server.Port, invocation, Timeout);
        Assert.Equal(TarsVersion.Json, response.Version);
        Assert.Equal("""{"tars_ret":42}""", Encoding.UTF8.GetString(response.Buffer));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-7)]
    [InlineData(12345)]
    public async Task ServerReturnCode_ThrowsWithCodeAndMessage(int code)
    {
        var e = await Assert.ThrowsAsync<TarsReturnCodeException>(() => CallTupAsync("fail", $$"""{"code": {{code}}, "message": "boom"}"""));
        Assert.Equal(code, e.ReturnCode);
        Assert.Equal("boom", e.ServerMessage);
    }

    [Fact]
    public async Task UnknownFunction_NoFunctionReturnCode()
    {
        var invocation = new TarsInvocation(TarsVersion.TupSimple, TarsServerProcess.Servant, "nope", Tup.Encode([]));
        var e = await Assert.ThrowsAsync<TarsReturnCodeException>(() => _invoker.InvokeAsync("127.0.0.1", _server.Port, invocation, Timeout));
        Assert.Equal(TarsReturnCodes.NoFunction, e.ReturnCode);
    }

    [Fact]
    public async Task ManyCallsInFlight_AreMultiplexedOnOneConnectionAndCorrelated()
    {
        var calls = new List<Task<string>>();
        for (var i = 0; i < 50; i++)
        {
            calls.Add(CallTupAsync("sleep", $$"""{"ms": {{(50 - i) * 4}}}"""));
        }

        var results = await Task.WhenAll(calls);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(((50 - i) * 4).ToString(System.Globalization.CultureInfo.InvariantCulture), results[i]);
        }
    }

    [Fact]
    public async Task LargePayloads_RoundTrip()
    {
        Assert.Equal(3_000_002, (await CallTupAsync("repeat", """{"text": "abc", "count": 1000000}""")).Length);
        var data = Convert.ToBase64String(new byte[2_000_000]);
        Assert.Equal($"\"{data}\"", await CallTupAsync("reverseBytes", $$"""{"data": "{{data}}"}"""));
    }

    [Fact]
    public async Task SlowServer_TimesOutAndTheConnectionStaysUsable()
    {
        await Assert.ThrowsAsync<TarsTimeoutException>(() => CallTupAsync("sleep", """{"ms": 2000}""", TimeSpan.FromMilliseconds(200)));
        Assert.Equal("5", await CallTupAsync("add", """{"a": 2, "b": 3}"""));
    }

    [Fact]
    public async Task ServerKilledMidCall_ConnectionLostThenConnectFails()
    {
        var inFlight = CallTupAsync("sleep", """{"ms": 5000}""");
        await Task.Delay(300);
        _server.Kill();
        await Assert.ThrowsAsync<TarsConnectionLostException>(() => inFlight);
        await Assert.ThrowsAsync<TarsConnectException>(() => CallTupAsync("add", """{"a": 1, "b": 1}"""));
    }
}
