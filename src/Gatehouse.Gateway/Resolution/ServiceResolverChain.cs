using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Resolution;

/// <summary>Runs the resolvers in order: header, query, domain prefix, path prefix, service set.</summary>
public sealed class ServiceResolverChain
{
    private readonly IServiceResolver[] _resolvers;

    public ServiceResolverChain(IEnumerable<IServiceResolver> resolvers)
    {
        _resolvers = resolvers.ToArray();
    }

    public static ServiceResolverChain CreateDefault(GatewayHeaderNames names) => new(new IServiceResolver[]
    {
        new HeaderServiceResolver(names.ServiceName),
        new QueryServiceResolver(names.ServiceName),
        new DomainPrefixResolver(),
        new PathPrefixResolver(),
        new ServiceSetResolver(names.ScTag),
    });

    /// <summary>The resolvers in the order they run (for route explanations, which report each one's verdict).</summary>
    internal IReadOnlyList<IServiceResolver> Resolvers => _resolvers;

    public ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot)
    {
        foreach (var resolver in _resolvers)
        {
            var result = resolver.Resolve(context, snapshot);
            if (result.IsDecided)
            {
                return result;
            }
        }

        return ServiceResolution.None;
    }
}
