using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Monitoring;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Registry;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Console;
using Gatehouse.Core.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
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
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { [GatehouseLogging.FormatSwitch] = GatehouseLogging.FormatKey });
        builder.Logging.AddGatehouseConsole(builder.Configuration);

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
        builder.Services.AddSingleton<UserDirectory>();
        builder.Services.AddSingleton<AppSecretVault>();
        builder.Services.AddScoped<SecretKeyRotation>();
        builder.Services.AddHostedService<PublishedSecretResealer>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<CurrentActor>();
        builder.Services.AddSingleton<ControlSignatureCheck>();
        builder.Services.AddScoped<ConfigWriter>();
        builder.Services.AddScoped<GrayWriter>();
        builder.Services.AddSingleton<Plugins.PluginFactoryCache>();
        builder.Services.AddGatewayNotifier();
        builder.Services.AddScoped<RegistryService>();
        builder.Services.AddSingleton<RegistrySweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RegistrySweeper>());
        builder.Services.AddMonitoring();
        builder.Services.AddGatehouseConsole(console =>
        {
            console.SessionCookie = AdminAuthentication.SessionCookie;
            console.CsrfHeader = AdminAuthentication.CsrfHeader;
        });
        builder.Services.AddSingleton<ZooKeeperMirror>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ZooKeeperMirror>());
        builder.Services.AddSingleton<DubboProviderMirror>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DubboProviderMirror>());
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

        app.UseConsoleClientAddress();
        app.UseConsoleHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseAdminAuthentication();
        app.UseAntiforgery();

        app.MapOpenApi().AllowAdminAnonymous("the API description; it holds no data");

        // Liveness for process supervisors and load balancers: cheap, unauthenticated, touches no store.
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" })).ExcludeFromDescription()
            .AllowAdminAnonymous("liveness; touches no store");

        // Config endpoints: viewers read, operators write. A group or endpoint may require more (users: admin only).
        var api = app.MapGroup(ApiPrefix).RequireAdminRole(AdminRole.Viewer, write: AdminRole.Operator);
        GroupEndpoints.Map(api);
        ServiceEndpoints.Map(api);
        ServicePartEndpoints.Map(api);
        EffectivePolicyEndpoints.Map(api);
        ExplainEndpoints.Map(api);
        GroupDocumentEndpoints.Map(api);
        AppEndpoints.Map(api);
        HistoryEndpoints.Map(api);
        GrayEndpoints.Map(api);
        MonitoringEndpoints.Map(api);
        AuthEndpoints.Map(api);
        UserEndpoints.Map(api);
        PluginEndpoints.Map(api);
        SecurityEndpoints.Map(api);
        GatewayEndpoints.Map(app.MapGroup(GatewayPrefix).WithTags("Gateway sync")
            .AllowAdminAnonymous("signed with the control secret; checked by the endpoints"));
        RegistryEndpoints.Map(app.MapGroup(RegistryEndpoints.Prefix).WithTags("Registry")
            .RequireAdminRole(AdminRole.Operator).AcceptRegistryToken());

        // The web console at /: its pages hold no data of their own; everything they show or change goes through the
        // API above with the logged-in user's session, so the API's roles and validation are the console's too.
        app.MapGatehouseConsole(console => console.AllowAdminAnonymous("the console's pages and hub; their data comes from /api/v1 as the user"));
        return app;
    }

    private static void Prepare(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value;
        var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
        AdminStorageExtensions.PrepareDatabase(db, options);
        scope.ServiceProvider.GetRequiredService<AdminTokens>().Initialize(db);
        scope.ServiceProvider.GetRequiredService<UserDirectory>().Bootstrap(db);
        scope.ServiceProvider.GetRequiredService<AppSecretVault>().CheckConfiguredKey();
        scope.ServiceProvider.GetRequiredService<SecretKeyRotation>().ReportAtStart();
    }
}
