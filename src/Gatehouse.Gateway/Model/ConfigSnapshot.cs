using System.Collections.Frozen;
using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Model;

/// <summary>
/// A compiled, immutable config: everything the request path reads, indexed for O(1) lookups. Published by
/// one reference swap (<see cref="SnapshotState"/>); requests read it once and finish on the one they started with.
/// </summary>
public sealed class ConfigSnapshot
{
    internal ConfigSnapshot(
        long version,
        string checksum,
        string source,
        DateTimeOffset appliedAt,
        FrozenDictionary<string, ServiceModel> services,
        FrozenDictionary<string, OriginTarget> domainPrefixes,
        FrozenDictionary<string, OriginTarget> pathPrefixes,
        FrozenDictionary<string, ServiceModel[]> serviceSets,
        IReadOnlySet<string> rateLimitScopes)
    {
        RateLimitScopes = rateLimitScopes;
        Version = version;
        Checksum = checksum;
        Source = source;
        AppliedAt = appliedAt;
        Services = services;
        DomainPrefixes = domainPrefixes;
        PathPrefixes = pathPrefixes;
        ServiceSets = serviceSets;
        ServicesBySpan = services.GetAlternateLookup<ReadOnlySpan<char>>();
        DomainPrefixesBySpan = domainPrefixes.GetAlternateLookup<ReadOnlySpan<char>>();
        PathPrefixesBySpan = pathPrefixes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public long Version { get; }

    /// <summary>SHA-256 of the canonical JSON of the config this snapshot was compiled from.</summary>
    public string Checksum { get; }

    /// <summary>Where the config came from (file path or admin address), for operators.</summary>
    public string Source { get; }

    public DateTimeOffset AppliedAt { get; }

    /// <summary>The validated config this snapshot was compiled from (for operator views such as the effective policy).</summary>
    public GatewayConfig Config { get; init; } = new();

    /// <summary>By service name, case-insensitive.</summary>
    public FrozenDictionary<string, ServiceModel> Services { get; }

    /// <summary>By first DNS label of the Host, case-insensitive.</summary>
    public FrozenDictionary<string, OriginTarget> DomainPrefixes { get; }

    /// <summary>By path prefix (leading segments, no trailing '/'), case-sensitive like paths.</summary>
    public FrozenDictionary<string, OriginTarget> PathPrefixes { get; }

    /// <summary>By scTag value; services in the order they are tried.</summary>
    public FrozenDictionary<string, ServiceModel[]> ServiceSets { get; }

    /// <summary>Rate-limit levels this snapshot uses, so limiters of removed levels can be dropped after publishing.</summary>
    internal IReadOnlySet<string> RateLimitScopes { get; }

    internal FrozenDictionary<string, ServiceModel>.AlternateLookup<ReadOnlySpan<char>> ServicesBySpan { get; }

    internal FrozenDictionary<string, OriginTarget>.AlternateLookup<ReadOnlySpan<char>> DomainPrefixesBySpan { get; }

    internal FrozenDictionary<string, OriginTarget>.AlternateLookup<ReadOnlySpan<char>> PathPrefixesBySpan { get; }
}

/// <summary>Target of an origin mapping.</summary>
/// <param name="Service">The mapped service.</param>
/// <param name="StripPrefix">Whether the matched path prefix is removed before matching and forwarding.</param>
public sealed record OriginTarget(ServiceModel Service, bool StripPrefix);
