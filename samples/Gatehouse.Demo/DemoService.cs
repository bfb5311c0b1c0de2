using System.Net;
using System.Text.Json;
using Gatehouse.Core.Logging;
using Gatehouse.Sdk;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Demo;

/// <summary>Where a demo node registers itself (the admin's embedded registry, its group, the registry token) and how it asks to be routed.</summary>
public sealed record DemoRegistry(string Address, string Group, string? Token, int Weight = 100, IReadOnlyList<string>? Gray = null);

/// <summary>
/// A small demo backend. Every response says which service and node answered, from which <c>loc</c>, and what
/// the node received, so the effect of routing, balancing, gray tags and prefix stripping is visible with curl.
/// </summary>
public static class DemoService
{
    /// <summary>Builds (not starts) a demo node listening on <paramref name="port"/> at 127.0.0.1.</summary>
    /// <param name="registry">When given, the node joins Gatehouse through the SDK: it registers itself and its APIs,
    /// heartbeats, and on stop deregisters and drains before it goes.</param>
    /// <param name="logFormat">How the SDK's lines are written (the all-in-one passes its own).</param>
    public static WebApplication Create(string service, string node, int port, string? loc = null, DemoRegistry? registry = null,
        LogFormat logFormat = LogFormat.Text)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (registry is not null)
        {
            // Only the SDK's own lines (registered, registry unreachable, deregistered): they show a node's life.
            builder.Logging.AddGatehouseConsole(logFormat).AddFilter((category, level) =>
                category?.StartsWith("Gatehouse.Sdk", StringComparison.Ordinal) == true && level >= LogLevel.Information);
            builder.Services.AddGatehouse(o =>
            {
                o.Service = service;
                o.Group = registry.Group;
                o.Address = registry.Address;

                // zookeeper://host:port names a ZooKeeper ensemble; anything else is the admin's URL.
                o.Registry = registry.Address.StartsWith("zookeeper://", StringComparison.OrdinalIgnoreCase)
                    ? GatehouseOptions.ZooKeeperRegistry
                    : GatehouseOptions.HttpRegistry;
                o.Token = registry.Token;
                o.Loc = loc;
                o.Weight = registry.Weight;
                o.Gray = [.. registry.Gray ?? []];
                o.Version = "demo";
                o.HealthPath = "/healthz";
                o.Metadata["node"] = node;
            });
        }

        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));

        // One catch-all endpoint (rather than terminal middleware) so the SDK's endpoint scan reports it as the API /**.
        app.Map("/{**path}", async context =>
        {
            long received = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                received += read;
            }

            var request = context.Request;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                service,
                node,
                loc,
                method = request.Method,
                path = request.Path.Value,
                query = request.QueryString.Value,
                bodyBytes = received,
                requestId = request.Headers["X-Request-Id"].ToString(),
                forwardedFor = request.Headers["X-Forwarded-For"].ToString(),
                forwardedHost = request.Headers["X-Forwarded-Host"].ToString(),
            }), context.RequestAborted);
        });
        return app;
    }
}
