using System.Text;
using System.Text.Json;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Forwarding.Rpc;

/// <summary>What the forwarder tests of the RPC protocols share: a node, a request with a body, the response written.</summary>
internal static class RpcForwarderTestKit
{
    /// <summary>The forward options of the tests: a 3 s response-headers timeout.</summary>
    public static ForwardOptions Options { get; } = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(60));

    public static NodeModel NodeAt(string id, string address)
        => new("svc", id, new Uri(address), 100, null, true, [], UpstreamProtocol.Http1, new NodeState());

    /// <summary>A POST of <paramref name="body"/> with the header <c>X-Tenant: t1</c>, its response collected in memory.</summary>
    public static DefaultHttpContext Context(string body, string path = "/x", string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        context.Request.ContentLength = Encoding.UTF8.GetByteCount(body);
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Request.Headers["X-Tenant"] = "t1";
        context.Response.Body = new MemoryStream();
        return context;
    }

    /// <summary>The response body written so far.</summary>
    public static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    /// <summary>The <c>detail</c> of the problem JSON written.</summary>
    public static string Detail(HttpContext context)
    {
        using var problem = JsonDocument.Parse(Body(context));
        return problem.RootElement.GetProperty("detail").GetString()!;
    }
}

/// <summary>A protocol invoker for tests: records each call and answers it with a function.</summary>
internal abstract class RecordingInvoker<TInvocation, TResponse>(Func<TInvocation, Task<TResponse>> answer)
{
    public List<(string Host, int Port, TInvocation Invocation, TimeSpan Timeout)> Calls { get; } = [];

    protected Task<TResponse> Record(string host, int port, TInvocation invocation, TimeSpan timeout)
    {
        Calls.Add((host, port, invocation, timeout));
        return answer(invocation);
    }
}
