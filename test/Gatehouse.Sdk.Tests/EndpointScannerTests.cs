using Gatehouse.Sdk.Discovery;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Gatehouse.Sdk.Tests;

public sealed class EndpointScannerTests
{
    [Theory]
    [InlineData("/orders", "/orders")]
    [InlineData("orders/{id:int}", "/orders/{id}")]
    [InlineData("/files/{**rest}", "/files/**")]
    [InlineData("/files/{*rest}", "/files/**")]
    [InlineData("/", "/")]
    [InlineData("/docs/{name}.{ext}", "/docs/*")]
    [InlineData("/items/{id?}", "/items|/items/{id}")]
    [InlineData("/a/{id:regex(^\\d+$)}/b", "/a/{id}/b")]
    public void RoutePattern_ToGatewayPaths(string route, string expected)
    {
        Assert.Equal(expected, string.Join('|', EndpointScanner.Paths(RoutePatternFactory.Parse(route))));
    }
}
