using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Resolution;

/// <summary>The <c>serviceName</c> header names the service.</summary>
internal sealed class HeaderServiceResolver(string headerName) : IServiceResolver
{
    public ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot)
    {
        if (!context.Request.Headers.TryGetValue(headerName, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return ServiceResolution.None;
        }

        var name = values[0]!;
        return snapshot.Services.TryGetValue(name, out var service)
            ? ServiceResolution.Found(service)
            : ServiceResolution.NotFound(name);
    }
}

/// <summary>The <c>serviceName</c> query parameter names the service (read without building the query collection).</summary>
internal sealed class QueryServiceResolver(string parameterName) : IServiceResolver
{
    public ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot)
    {
        var query = context.Request.QueryString.Value;
        if (string.IsNullOrEmpty(query) || !QueryParameter.TryFind(query, parameterName, out var raw) || raw.IsEmpty)
        {
            return ServiceResolution.None;
        }

        // Service names are [A-Za-z0-9._-]: a value that needs unescaping cannot name one, so no decoding is needed.
        if (snapshot.ServicesBySpan.TryGetValue(raw, out var service))
        {
            return ServiceResolution.Found(service);
        }

        return ServiceResolution.NotFound(Uri.UnescapeDataString(raw.ToString()));
    }
}

/// <summary>The first DNS label of the Host selects the service (<c>orders.api.example.com</c> → <c>orders</c>).</summary>
internal sealed class DomainPrefixResolver : IServiceResolver
{
    public ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot)
    {
        if (snapshot.DomainPrefixes.Count == 0)
        {
            return ServiceResolution.None;
        }

        var host = context.Request.Host.Host.AsSpan();
        var dot = host.IndexOf('.');
        if (dot <= 0)
        {
            return ServiceResolution.None;
        }

        return snapshot.DomainPrefixesBySpan.TryGetValue(host[..dot], out var target)
            ? ServiceResolution.Found(target.Service)
            : ServiceResolution.None;
    }
}

/// <summary>
/// The longest mapped path prefix, on segment boundaries, selects the service. Lookups are one dictionary probe
/// per path segment, so the cost does not grow with the number of mappings.
/// </summary>
internal sealed class PathPrefixResolver : IServiceResolver
{
    public ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot)
    {
        if (snapshot.PathPrefixes.Count == 0)
        {
            return ServiceResolution.None;
        }

        var path = context.Request.Path.Value.AsSpan();
        var end = path.Length;
        while (end > 1)
        {
            var candidate = path[..end].TrimEnd('/');
            if (candidate.Length > 0 && snapshot.PathPrefixesBySpan.TryGetValue(candidate, out var target))
            {
                return ServiceResolution.Found(target.Service, target.StripPrefix ? candidate.Length : 0);
            }

            end = candidate.LastIndexOf('/');
        }

        return ServiceResolution.None;
    }
}

/// <summary>The <c>scTag</c> header selects an ordered set of services.</summary>
internal sealed class ServiceSetResolver(string headerName) : IServiceResolver
{
    public ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot)
    {
        if (snapshot.ServiceSets.Count == 0
            || !context.Request.Headers.TryGetValue(headerName, out var values)
            || values.Count == 0
            || string.IsNullOrEmpty(values[0]))
        {
            return ServiceResolution.None;
        }

        return snapshot.ServiceSets.TryGetValue(values[0]!, out var services)
            ? ServiceResolution.FoundSet(services)
            : ServiceResolution.NotFound(values[0]!);
    }
}
