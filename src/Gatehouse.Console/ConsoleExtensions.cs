using System.Collections.Frozen;
using System.Security.Cryptography;
using Gatehouse.Console.Backend;
using Gatehouse.Console.Components;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Console;

/// <summary>Adds the web console (a Blazor app with interactive server rendering) to the admin host.</summary>
public static class ConsoleExtensions
{
    /// <summary>Where the console's own files are served from.</summary>
    public const string AssetPrefix = "/console/";

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(LoadAssets);

    /// <summary>Registers the console's services; <paramref name="configure"/> names the API's cookie and CSRF header.</summary>
    public static IServiceCollection AddGatehouseConsole(this IServiceCollection services, Action<ConsoleOptions>? configure = null)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();

        services.AddOptions<ConsoleOptions>().Configure(o => configure?.Invoke(o));
        services.TryAddSingleton<ConsoleLink>();
        services.TryAddScoped<ConsoleSession>();
        services.TryAddScoped<AdminApi>();
        return services;
    }

    /// <summary>
    /// For the console's own API calls (and only those: they carry <see cref="ConsoleLink.Key"/>), takes the browser's
    /// address as the connection's remote address, so the API sees and audits the real client. Call first.
    /// </summary>
    public static IApplicationBuilder UseConsoleClientAddress(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.Headers.ContainsKey(ConsoleLink.KeyHeader)
            && context.RequestServices.GetRequiredService<ConsoleLink>().ForwardedClient(context.Request) is { } client)
        {
            context.Connection.RemoteIpAddress = client;
        }

        return next(context);
    });

    /// <summary>
    /// Security headers on every console response (everything outside <c>/api</c>): the console's buttons take traffic
    /// off nodes, so no other site may frame it (clickjacking), sniff its types or learn its addresses from a referrer.
    /// </summary>
    public static IApplicationBuilder UseConsoleHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            // Set as the response starts, so they replace the framework's own, weaker values (Blazor's
            // frame-ancestors 'self', antiforgery's SAMEORIGIN) rather than being sent beside them.
            context.Response.OnStarting(static state =>
            {
                var headers = ((HttpResponse)state).Headers;
                headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.ContentSecurityPolicy = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'";
                return Task.CompletedTask;
            }, context.Response);
        }

        return next(context);
    });

    /// <summary>Maps the console's pages at <c>/</c>, its hub, blazor.web.js and its stylesheet.</summary>
    /// <param name="convention">Applied to every console endpoint (e.g. the host's access metadata).</param>
    public static void MapGatehouseConsole(this IEndpointRouteBuilder endpoints, Action<IEndpointConventionBuilder> convention)
    {
        convention(endpoints.MapGet("/_framework/blazor.web.js", (HttpContext context) => Serve(context, "blazor.web.js"))
            .ExcludeFromDescription());
        convention(endpoints.MapGet(AssetPrefix + "{file}", (string file, HttpContext context) => Serve(context, file))
            .ExcludeFromDescription());
        var pages = endpoints.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        convention(pages);
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.Value.TryGetValue(file, out var asset))
        {
            return Results.NotFound();
        }

        // Revalidated on every load (cheap 304s), so a new build's script is never mixed with an old page.
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = asset.ETag;
        return context.Request.Headers.IfNoneMatch.ToString() == asset.ETag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> LoadAssets()
    {
        var assembly = typeof(ConsoleExtensions).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var file = name["console/".Length..];
            var type = file.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
            assets[file] = new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
