using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Observability.AccessLog;

internal static class AccessLogServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="AccessLogOptions"/> (validated at start), the writer (a hosted service, idle when disabled)
    /// and the rolling file sink. A host may register its own <see cref="IAccessLogSink"/> instead.
    /// </summary>
    public static IServiceCollection AddGatehouseAccessLog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccessLogOptions>()
            .Bind(configuration.GetSection(AccessLogOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AccessLogOptions>, AccessLogOptionsValidator>());
        services.TryAddSingleton<IAccessLogSink>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AccessLogOptions>>().Value;
            return new RollingFileSink(ResolvePath(options.Path, sp.GetService<IHostEnvironment>()?.ContentRootPath),
                options.MaxFileBytes, options.RollDaily, options.RetainFiles, options.RetainDays,
                sp.GetService<TimeProvider>() ?? TimeProvider.System);
        });
        services.TryAddSingleton<AccessLogWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AccessLogWriter>());
        return services;
    }

    /// <summary>A relative path is under the content root (the working directory unless the host sets another).</summary>
    internal static string ResolvePath(string path, string? contentRoot) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(contentRoot ?? Directory.GetCurrentDirectory(), path));
}
