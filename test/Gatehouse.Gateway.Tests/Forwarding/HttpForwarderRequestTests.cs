using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class HttpForwarderRequestTests
{
    private static NodeModel Node(string address)
        => new("svc", "n1", new Uri(address), 1, null, true, [], UpstreamProtocol.Http1, new NodeState());

    [Theory]
    [InlineData("http://10.0.0.1:8080", "/orders/42", "?x=1", "http://10.0.0.1:8080/orders/42?x=1")]
    [InlineData("http://10.0.0.1:8080/base/", "/orders", "", "http://10.0.0.1:8080/base/orders")]
    [InlineData("http://10.0.0.1:8080", "", "?q=a%20b", "http://10.0.0.1:8080/?q=a%20b")]
    [InlineData("http://node:81", "/a b/\u00e9", "", "http://node:81/a%20b/%C3%A9")]
    public void BuildUri_PrefixPathAndQuery_Concatenated(string address, string path, string query, string expected)
    {
        var uri = HttpForwarder.BuildUri(Node(address), new PathString(path), new QueryString(query));

        Assert.Equal(expected, uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("POST", null, null, false)]
    [InlineData("POST", 0L, null, false)]
    [InlineData("POST", 5L, null, true)]
    [InlineData("PUT", null, "chunked", true)]
    [InlineData("GET", null, null, false)]
    public void HasRequestBody_WithoutDetectionFeature_UsesFraming(string method, long? contentLength, string? transferEncoding, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.ContentLength = contentLength;
        if (transferEncoding is not null)
        {
            context.Request.Headers.TransferEncoding = transferEncoding;
        }

        Assert.Equal(expected, HttpForwarder.HasRequestBody(context.Request));
    }
}
