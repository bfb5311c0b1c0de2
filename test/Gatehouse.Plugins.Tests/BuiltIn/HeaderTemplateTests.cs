using System.Net;
using Gatehouse.Plugins.BuiltIn;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Plugins.Tests.BuiltIn;

public class HeaderTemplateTests
{
    private static PluginContext Context()
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/orders/7";
        http.Request.Host = new HostString("gw.example");
        http.Request.QueryString = new QueryString("?q=blue&q=green");
        http.Request.Headers["X-User"] = "u-1";
        http.Request.Headers["X-Evil"] = "a\r\nSet-Cookie: x=1";
        return new PluginContext(http, "orders", "get", IPAddress.Parse("::ffff:10.1.2.3"));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData("${clientIp}", "10.1.2.3")]
    [InlineData("${method} ${path} on ${host}", "POST /orders/7 on gw.example")]
    [InlineData("${service}/${api}", "orders/get")]
    [InlineData("u=${header.X-User};missing=${header.X-None}", "u=u-1;missing=")]
    [InlineData("${query.q}", "blue,green")]
    [InlineData("cost $${x} and $5", "cost ${x} and $5")]
    [InlineData("${header.X-Evil}", "")]
    public void Expand_Variables(string text, string expected)
    {
        var reader = new SettingsReader();
        var template = HeaderTemplate.Parse(text, "f", reader)!;

        Assert.Empty(reader.Errors);
        Assert.Equal(expected, template.Expand(Context()));
    }

    [Fact]
    public void Parse_ConstantHasNoPerRequestWork()
    {
        Assert.Equal("v1", HeaderTemplate.Parse("v1", "f", new SettingsReader())!.Constant);
        Assert.Null(HeaderTemplate.Parse("v-${path}", "f", new SettingsReader())!.Constant);
    }

    [Theory]
    [InlineData("${clientAddr}", "unknown variable '${clientAddr}'")]
    [InlineData("${header.}", "unknown variable '${header.}'")]
    [InlineData("${path", "has no closing '}'")]
    public void Parse_Bad_ReportedOnTheField(string text, string message)
    {
        var reader = new SettingsReader();

        Assert.Null(HeaderTemplate.Parse(text, "request.set[X-A]", reader));

        var error = Assert.Single(reader.Errors);
        Assert.Equal("request.set[X-A]", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
