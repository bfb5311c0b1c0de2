using Microsoft.AspNetCore.Builder;

namespace Gatehouse.Sdk.Discovery;

/// <summary>
/// Keeps an endpoint out of the APIs the SDK reports, so the gateway never routes to it: for health, metrics, admin or
/// debug endpoints meant for the node's own network only. Put it on a controller or action, or call
/// <see cref="GatehouseEndpointExtensions.GatehouseInternal{TBuilder}"/> on a minimal API.
/// </summary>
/// <remarks>The node's <see cref="GatehouseOptions.HealthPath"/> is never reported either, with or without it.</remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method | AttributeTargets.Delegate)]
public sealed class GatehouseInternalAttribute : Attribute;

/// <summary>Endpoint conventions of the SDK.</summary>
public static class GatehouseEndpointExtensions
{
    /// <summary>Keeps these endpoints internal: not reported as APIs, so not reachable through the gateway.</summary>
    /// <example><c>app.MapGet("/metrics", ...).GatehouseInternal();</c></example>
    public static TBuilder GatehouseInternal<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new GatehouseInternalAttribute());
    }
}
