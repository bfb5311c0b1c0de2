using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Registry;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin;

/// <summary>Builds the admin service (control plane): REST API under <c>/api/v1</c>, OpenAPI, the gateway sync endpoints.</summary>
/// <remarks>
/// <see cref="Create"/> migrates the database and loads the admin token before it returns, so a returned application
/// is ready to serve; a host only has to run it.
/// </remarks>
public static class AdminApplication
{
    /// <summary>Where the admin listens when no <c>--urls</c> (or <c>ASPNETCORE_URLS</c>) is given.</summary>
    public const string DefaultUrl = "http://localhost:9000";

    private const string ApiPrefix = "/api/v1";
    private const string GatewayPrefix = "/api/v1/gateway";

    /// <summary>Builds the admin application; <paramref name="configure"/> may change the builder before it is built.</summary>
    /// <param name="args">Command-line arguments: <c>--urls</c> and any <c>--Gatehouse:Admin:*</c> key.</param>
    /// <param name="configure">Called last on the builder, e.g. to add configuration or logging in a host or a test.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });

        // EF Core logs every command at Information; the admin's own log should say what changed, not each SQL statement.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);

        // Gateways pull and heartbeat every few seconds; per-request Information lines would drown the log.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        builder.Services.AddAdminStorage();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            // Config entries in responses look exactly like the declarative file: enums as camelCase strings, no nulls.
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WriteGate>();
        builder.Services.AddSingleton<AdminTokens>();
        builder.Services.AddSingleton<ControlSignatureCheck>();
        builder.Services.AddScoped<ConfigWriter>();
        builder.Services.AddScoped<GrayWriter>();
        builder.Services.AddGatewayNotifier();
        builder.Services.AddScoped<RegistryService>();
        builder.Services.AddSingleton<RegistryAuth>();
        builder.Services.AddSingleton<RegistrySweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RegistrySweeper>());
        builder.Services.AddSingleton<ZooKeeperMirror>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ZooKeeperMirror>());
        configure?.Invoke(builder);

        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var app = builder.Build();
        try
        {
            Prepare(app.Services);
        }
        catch
        {
            // Invalid settings or an unreachable database: release the built host before reporting it.
            ((IDisposable)app).Dispose();
            throw;
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var tokens = app.Services.GetRequiredService<AdminTokens>();
        var registryAuth = app.Services.GetRequiredService<RegistryAuth>();

        // A middleware, not an endpoint filter: filters run after body binding, so an unauthenticated caller could
        // otherwise learn about request validation (and unknown routes) before being told to authenticate.
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments(RegistryEndpoints.Prefix))
            {
                if (registryAuth.Check(context.Request) is { } unregistered)
                {
                    await unregistered.ExecuteAsync(context);
                    return;
                }
            }
            else if (path.StartsWithSegments(ApiPrefix) && !path.StartsWithSegments(GatewayPrefix)
                && tokens.Check(context.Request) is { } unauthorized)
            {
                await unauthorized.ExecuteAsync(context);
                return;
            }

            await next(context);
        });

        app.MapOpenApi();

        // Liveness for process supervisors and load balancers: cheap, unauthenticated, touches no store.
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" })).ExcludeFromDescription();
        var api = app.MapGroup(ApiPrefix);
        GroupEndpoints.Map(api);
        ServiceEndpoints.Map(api);
        ServicePartEndpoints.Map(api);
        EffectivePolicyEndpoints.Map(api);
        GroupDocumentEndpoints.Map(api);
        HistoryEndpoints.Map(api);
        GrayEndpoints.Map(api);
        GatewayEndpoints.Map(app.MapGroup(GatewayPrefix).WithTags("Gateway sync"));
        RegistryEndpoints.Map(app.MapGroup(RegistryEndpoints.Prefix).WithTags("Registry"));
        return app;
    }

    private static void Prepare(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value;
        var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
        AdminStorageExtensions.PrepareDatabase(db, options);
        scope.ServiceProvider.GetRequiredService<AdminTokens>().Initialize(db);
    }
}
