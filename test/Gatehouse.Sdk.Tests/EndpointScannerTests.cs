using Gatehouse.Sdk.Discovery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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

    [Fact]
    public void Scan_LeavesOutTheHealthPathAndInternalEndpoints()
    {
        var source = new DefaultEndpointDataSource(
            Endpoint("/orders/{id:int}", new HttpMethodMetadata(["GET"])),
            Endpoint("/healthz", new HttpMethodMetadata(["GET"])),
            Endpoint("/metrics", new HttpMethodMetadata(["GET"]), new GatehouseInternalAttribute()),
            Endpoint("/admin/{**rest}", new GatehouseInternalAttribute()));

        var apis = EndpointScanner.Scan(source, "healthz/");
        Assert.Equal(["/orders/{id}"], apis.Select(a => a.Path));

        // Without a health path the health endpoint is an ordinary API (nothing says it is one).
        Assert.Equal(["/healthz", "/orders/{id}"], EndpointScanner.Scan(source).Select(a => a.Path));
    }

    [Fact]
    public void GatehouseInternal_AddsTheMetadataTheScannerSkips()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var app = builder.Build();
        app.MapGet("/debug", () => "x").GatehouseInternal();
        app.MapGet("/orders", () => "x");
        var source = ((IEndpointRouteBuilder)app).DataSources.Single();
        Assert.Equal(["/orders"], EndpointScanner.Scan(source).Select(a => a.Path));
    }

    private static RouteEndpoint Endpoint(string pattern, params object[] metadata) =>
        new(_ => Task.CompletedTask, RoutePatternFactory.Parse(pattern), 0, new EndpointMetadataCollection(metadata), pattern);
}
