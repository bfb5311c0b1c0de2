using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Resolution;

/// <summary>
/// One way of finding the target service of a request. Resolvers run in a fixed order (header, query, domain
/// prefix, path prefix, service set); the first that reaches a decision wins, found or not.
/// </summary>
public interface IServiceResolver
{
    /// <summary>Returns <see cref="ServiceResolution.None"/> when this resolver does not apply to the request.</summary>
    ServiceResolution Resolve(HttpContext context, ConfigSnapshot snapshot);
}

/// <summary>Outcome of service resolution; a struct so the request path allocates nothing for it.</summary>
public readonly struct ServiceResolution
{
    private ServiceResolution(ServiceModel? service, ServiceModel[]? candidates, int stripLength, string? unknownName)
    {
        Service = service;
        Candidates = candidates;
        StripLength = stripLength;
        UnknownName = unknownName;
    }

    /// <summary>The resolver did not apply; the next one runs.</summary>
    public static ServiceResolution None => default;

    /// <summary>A single service; <paramref name="stripLength"/> characters are removed from the path's start.</summary>
    public static ServiceResolution Found(ServiceModel service, int stripLength = 0) => new(service, null, stripLength, null);

    /// <summary>An ordered service set: the first service with a matching API serves the request.</summary>
    public static ServiceResolution FoundSet(ServiceModel[] services) => new(null, services, 0, null);

    /// <summary>The request named a service explicitly and it does not exist: resolution stops with 404.</summary>
    public static ServiceResolution NotFound(string name) => new(null, null, 0, name);

    public ServiceModel? Service { get; }

    public ServiceModel[]? Candidates { get; }

    public int StripLength { get; }

    public string? UnknownName { get; }

    /// <summary>True when a resolver reached a decision (found or explicitly not found).</summary>
    public bool IsDecided => Service is not null || Candidates is not null || UnknownName is not null;
}
