using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting.Tls;

internal static class ServerTlsServiceCollectionExtensions
{
    /// <summary>
    /// The TLS settings' validator (run at start, every bad key named) and <see cref="ServerTls"/>, which Kestrel's
    /// configuration resolves: loading and checking the certificate happens then, once.
    /// </summary>
    public static IServiceCollection AddGatehouseServerTls(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayTlsOptionsValidator>());
        services.TryAddSingleton<ServerTls>();
        services.AddHostedService<ServerCertificateReloader>();
        return services;
    }
}
