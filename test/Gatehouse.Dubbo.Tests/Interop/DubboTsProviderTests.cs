using Gatehouse.Dubbo.Client;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Dubbo.Protocol;
using Gatehouse.Testing;

namespace Gatehouse.Dubbo.Tests.Interop;

/// <summary>The client against a real Dubbo 2 provider: dubbo.ts 1.0.72 from npm (test/tools/dubbo/provider.js).</summary>
public sealed class DubboTsProviderTests : IAsyncLifetime
{
    private const string Service = "com.gatehouse.test.DemoService";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private DubboProviderProcess _provider = null!;
    private readonly DubboInvoker _invoker = new();

    public async Task InitializeAsync() => _provider = await DubboProviderProcess.StartAsync("p1");

    public async Task DisposeAsync()
    {
        await _invoker.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private Task<DubboResponse> CallAsync(string method, string types, object?[] args, string? group = null, TimeSpan? timeout = null)
        => _invoker.InvokeAsync("127.0.0.1", _provider.Port, new DubboInvocation(Service, "1.0.0", group, method, types, args,
            [new("x-tenant", "t1")]), timeout ?? Timeout);

    [Fact]
    public async Task Invoke_Primitives_ValuesWithAttachments()
    {
        var sum = await CallAsync("add", "II", [2, 40]);
        Assert.Equal(DubboResponseKind.Value, sum.Kind);
        Assert.Equal(42, sum.Value);
        Assert.Equal("2.0.2", sum.Attachments?.Get("dubbo"));
        Assert.Equal("a\U0001F600b", (await CallAsync("echo", "Ljava/lang/Object;", ["a\U0001F600b"])).Value);
        Assert.Equal(1L << 40, (await CallAsync("echo", "J", [1L << 40])).Value);
        Assert.Equal(2.5, (await CallAsync("echo", "D", [2.5])).Value);
        Assert.Equal(true, (await CallAsync("echo", "Z", [true])).Value);
    }

    [Fact]
    public async Task Invoke_ObjectsMapsLists_Decoded()
    {
        var user = Assert.IsType<HessianObject>((await CallAsync("user", "J", [7L])).Value);
        Assert.Equal("com.gatehouse.test.User", user.ClassName);
        Assert.Equal(7L, user.Get("id"));
        Assert.Equal("user-7", user.Get("name"));
        Assert.Equal(["a", "b"], Assert.IsType<HessianList>(user.Get("tags")).Items);
        Assert.Equal("Shenzhen", Assert.IsType<HessianObject>(user.Get("address")).Get("city"));

        var info = Assert.IsType<HessianMap>((await CallAsync("info", "", [])).Value);
        Assert.Equal("p1", info.Get("name"));
        Assert.Equal([1, 2, 3], Assert.IsType<HessianList>(Assert.IsType<HessianMap>(info.Get("nested")).Get("list")).Items);

        var input = new HessianMap { Entries = { new("k", new HessianList { Items = { 1, "x", null } }) } };
        var echoed = Assert.IsType<HessianMap>((await CallAsync("echo", "Ljava/util/Map;", [input])).Value);
        Assert.Equal([1, "x", null], Assert.IsType<HessianList>(echoed.Get("k")).Items);
    }

    [Fact]
    public async Task Invoke_NullAndLargeResult_Decoded()
    {
        var nothing = await CallAsync("nothing", "", []);
        Assert.Equal(DubboResponseKind.Null, nothing.Kind);
        Assert.Null(nothing.Value);
        var large = await CallAsync("repeat", "Ljava/lang/String;I", ["ab\u00e9", 300_000]);
        Assert.Equal(900_000, Assert.IsType<string>(large.Value).Length);
    }

    [Fact]
    public async Task Invoke_GroupAndAttachments_ReachTheProvider()
    {
        var result = Assert.IsType<HessianMap>((await CallAsync("whoami", "", [], group: "blue")).Value);
        var attachments = Assert.IsType<HessianMap>(result.Get("attachments"));
        Assert.Equal("blue", attachments.Get("group"));
        Assert.Equal("t1", attachments.Get("x-tenant"));
        Assert.Equal(Service, attachments.Get("path"));
    }

    [Fact]
    public async Task Invoke_MethodThrows_ServiceErrorStatusWithMessage()
    {
        var e = await Assert.ThrowsAsync<DubboStatusException>(() => CallAsync("fail", "Ljava/lang/String;", ["boom"]));
        Assert.Equal(DubboStatus.ServiceError, e.Status);
        Assert.Equal("boom", e.ProviderMessage);
        Assert.Equal(42, (await CallAsync("add", "II", [40, 2])).Value);
    }

    [Fact]
    public async Task Invoke_SlowMethod_TimeoutThenLateResponseIgnored()
    {
        await Assert.ThrowsAsync<DubboTimeoutException>(() => CallAsync("sleep", "I", [1500], timeout: TimeSpan.FromMilliseconds(300)));
        await Task.Delay(1500);
        Assert.Equal(3, (await CallAsync("add", "II", [1, 2])).Value);
    }

    [Fact]
    public async Task Invoke_ProviderKilledMidCall_ConnectionLostThenConnectFails()
    {
        var call = CallAsync("sleep", "I", [5000]);
        await Task.Delay(300);
        _provider.Kill();
        await Assert.ThrowsAsync<DubboConnectionLostException>(() => call);
        await Assert.ThrowsAsync<DubboConnectException>(() => CallAsync("add", "II", [1, 2]));
    }
}
