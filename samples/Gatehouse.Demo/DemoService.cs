using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Demo;

/// <summary>
/// A small demo backend. Every response says which service and node answered, from which <c>loc</c>, and what
/// the node received, so the effect of routing, balancing, gray tags and prefix stripping is visible with curl.
/// </summary>
public static class DemoService
{
    /// <summary>Builds (not starts) a demo node listening on <paramref name="port"/> at 127.0.0.1.</summary>
    public static WebApplication Create(string service, string node, int port, string? loc = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.Run(async context =>
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
