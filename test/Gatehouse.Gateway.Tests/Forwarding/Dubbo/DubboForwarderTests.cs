using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Dubbo.Client;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Dubbo.Protocol;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Forwarding.Dubbo;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Tests.Forwarding.Rpc;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Gatehouse.Gateway.Tests.Forwarding.Rpc.RpcForwarderTestKit;

namespace Gatehouse.Gateway.Tests.Forwarding.Dubbo;

public sealed class DubboForwarderTests
{
    private sealed class FakeInvoker(Func<DubboInvocation, Task<DubboResponse>> answer)
        : RecordingInvoker<DubboInvocation, DubboResponse>(answer), IDubboInvoker
    {
        public Task<DubboResponse> InvokeAsync(string host, int port, DubboInvocation invocation, TimeSpan timeout, CancellationToken cancellationToken = default)
            => Record(host, port, invocation, timeout);
    }

    private static readonly DubboApiModel Api = DubboApiModel.For(new ApiConfig
    {
        Id = "a",
        Path = "/x",
        Protocol = ApiProtocol.Dubbo,
        Dubbo = new DubboApiConfig
        {
            Interface = "com.X", Method = "m", Version = "1.0.0", Group = "g", ParameterTypes = ["int"], AttachHeaders = ["X-Tenant"],
        },
    }, MatchKind.Exact)!;

    private static readonly NodeModel Node = NodeAt("p1", "dubbo://10.0.0.9:20880");

    private static ValueTask<ForwardResult> ForwardAsync(IDubboInvoker invoker, HttpContext context)
        => new DubboForwarder(invoker, NullLogger<DubboForwarder>.Instance).ForwardAsync(context, Node, "/x", Api,
            Options, default);

    [Fact]
    public async Task Forward_Value_200JsonAndCallAsDeclared()
    {
        var invoker = new FakeInvoker(_ => Task.FromResult(new DubboResponse(DubboResponseKind.Value, new HessianList { Items = { 1, "a" } }, null)));
        var context = Context("[5]");

        var result = await ForwardAsync(invoker, context);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("[1,\"a\"]", Body(context));
        var (host, port, invocation, timeout) = Assert.Single(invoker.Calls);
        Assert.Equal(("10.0.0.9", 20880), (host, port));
        Assert.Equal(TimeSpan.FromSeconds(3), timeout);
        Assert.Equal(("com.X", "1.0.0", "g", "m", "I"), (invocation.Service, invocation.Version, invocation.Group, invocation.Method, invocation.ParameterTypes));
        Assert.Equal([5], invocation.Arguments);
        Assert.Contains(new KeyValuePair<string, string>("x-tenant", "t1"), invocation.Attachments!);
        Assert.Contains(invocation.Attachments!, a => a.Key == "x-request-id");
    }

    [Fact]
    public async Task Forward_JavaException_502UpstreamErrorNamingClassAndMessage()
    {
        var exception = new HessianObject("java.lang.IllegalStateException");
        exception.Fields.Add(new("detailMessage", "stock exhausted"));
        var invoker = new FakeInvoker(_ => Task.FromResult(new DubboResponse(DubboResponseKind.Exception, exception, null)));
        var context = Context("[5]");

        var result = await ForwardAsync(invoker, context);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(502, context.Response.StatusCode);
        using var problem = JsonDocument.Parse(Body(context));
        Assert.Equal("upstream_error", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal("java.lang.IllegalStateException: stock exhausted", problem.RootElement.GetProperty("detail").GetString());
    }

    // The error as an int: ForwarderError is internal and theory data is public.
    public static TheoryData<Exception, int> Failures => new()
    {
        { new DubboConnectException("refused"), (int)ForwarderError.ConnectFailed },
        { new DubboConnectionLostException("reset"), (int)ForwarderError.UpstreamFailed },
        { new DubboTimeoutException("slow"), (int)ForwarderError.ResponseHeadersTimeout },
        { new DubboStatusException(DubboStatus.ServerTimeout, "slow"), (int)ForwarderError.ResponseHeadersTimeout },
        { new DubboProtocolException("bad magic"), (int)ForwarderError.UpstreamFailed },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Forward_TransportFailure_ForwarderErrorAndNothingWritten(Exception failure, int expected)
    {
        var context = Context("[5]");

        var result = await ForwardAsync(new FakeInvoker(_ => Task.FromException<DubboResponse>(failure)), context);

        Assert.Equal((ForwarderError)expected, result.Error);
        Assert.False(result.RequestBodyStarted);
        Assert.Equal("", Body(context));
    }

    [Fact]
    public async Task Forward_ErrorStatus_502UpstreamErrorWithStatus()
    {
        var context = Context("[5]");

        await ForwardAsync(new FakeInvoker(_ => Task.FromException<DubboResponse>(new DubboStatusException(DubboStatus.ServiceNotFound, "no provider"))), context);

        Assert.Equal(502, context.Response.StatusCode);
        Assert.Contains("Dubbo status 60 (ServiceNotFound): no provider", Body(context));
    }

    [Fact]
    public async Task Forward_Retry_ArgumentsBoundOnceAndResent()
    {
        var invoker = new FakeInvoker(_ => Task.FromException<DubboResponse>(new DubboConnectException("refused")));
        var context = Context("[5]");
        await ForwardAsync(invoker, context);
        await ForwardAsync(invoker, context);
        Assert.Equal(2, invoker.Calls.Count);
        Assert.Equal([5], invoker.Calls[1].Invocation.Arguments);
    }

    [Fact]
    public async Task Forward_BadBody_400AndNoCall()
    {
        var invoker = new FakeInvoker(_ => throw new InvalidOperationException("not called"));
        var context = Context("[\"x\"]");

        await ForwardAsync(invoker, context);

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Contains("argument 0 (int)", Body(context));
        Assert.Empty(invoker.Calls);
    }
}
