namespace Gatehouse.Core.Config;

/// <summary>
/// Weighted canary: <see cref="Percent"/> of the ordinary traffic (requests without a matching <c>gray</c> header)
/// goes to the canary nodes, the rest to the ordinary nodes. Canary nodes are those carrying the gray tag
/// <see cref="Gray"/>, or those of release version <see cref="Version"/>; exactly one of the two is given.
/// </summary>
/// <remarks>Merged as a whole (API ?? service ?? global), like the load balancer: each level's must be complete.</remarks>
public sealed record CanaryConfig
{
    /// <summary>Gray tag of the canary nodes.</summary>
    public string? Gray { get; init; }

    /// <summary>Release version (<see cref="NodeConfig.Version"/>) of the canary nodes.</summary>
    public string? Version { get; init; }

    /// <summary>Share of ordinary traffic for the canary, 0 to 100, in steps of 0.01 (finer digits are rounded).</summary>
    public double Percent { get; init; }

    /// <summary>Keeps a client on one side: the key's hash decides instead of a per-request draw.</summary>
    public CanaryStickyConfig? Sticky { get; init; }
}

/// <summary>What a sticky canary hashes to decide a client's side.</summary>
public sealed record CanaryStickyConfig
{
    public CanaryKeySource Source { get; init; } = CanaryKeySource.ClientIp;

    /// <summary>Header or query parameter name for <see cref="CanaryKeySource.Header"/> and <see cref="CanaryKeySource.Query"/>.</summary>
    public string? Name { get; init; }
}

public enum CanaryKeySource
{
    Header,
    ClientIp,
    Query,
}
