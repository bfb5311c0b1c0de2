namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    private const int MaxVirtualNodes = 10_000;
    private const int MaxTimeoutMs = 24 * 60 * 60 * 1000;

    /// <summary>A policy at any level (global, service, API); <paramref name="entry"/> is where it sits.</summary>
    /// <remarks>
    /// <para>A load balancer is merged as a whole, so each level's must be complete on its own:
    /// <c>consistentHash</c> requires <c>hashKey</c>; <c>hashKey</c> and <c>virtualNodes</c> are rejected for other
    /// kinds (they would be silently ignored); <c>virtualNodes</c> 1..10000.</para>
    /// <para>Hash key: source <c>header</c> requires <c>name</c>, an HTTP token; source <c>query</c> requires
    /// <c>name</c> without spaces, '&amp;', '=' or '#'; <c>clientIp</c> and <c>path</c> take no name.</para>
    /// <para>Timeouts: each, when given, 1 ms to 1 day (86400000 ms).</para>
    /// <para>IP access: every allow / deny entry an address or CIDR block (see <see cref="Net.IpRange.TryParse"/>);
    /// <c>limits.maxBodyBytes</c> 0 or more.</para>
    /// </remarks>
    private static void ValidatePolicy(Errors errors, string entry, PolicyConfig policy, bool apiLevel = false)
    {
        if (policy.LoadBalancer is { } loadBalancer)
        {
            ValidateLoadBalancer(errors, $"{entry}.loadBalancer", loadBalancer);
        }

        if (policy.Canary is { } canary)
        {
            ValidateCanary(errors, $"{entry}.canary", canary);
        }

        if (policy.Timeouts is { } timeouts)
        {
            CheckTimeout(errors, $"{entry}.timeouts.connectMs", timeouts.ConnectMs);
            CheckTimeout(errors, $"{entry}.timeouts.responseHeadersMs", timeouts.ResponseHeadersMs);
            CheckTimeout(errors, $"{entry}.timeouts.idleMs", timeouts.IdleMs);
            CheckTimeout(errors, $"{entry}.timeouts.requestMs", timeouts.RequestMs);
        }

        if (policy.Retry is { } retry)
        {
            ValidateRetry(errors, $"{entry}.retry", retry, apiLevel);
        }

        if (policy.CircuitBreaker is { } breaker)
        {
            ValidateCircuitBreaker(errors, $"{entry}.circuitBreaker", breaker);
        }

        if (policy.RateLimit is { } rateLimit)
        {
            ValidateRateLimit(errors, $"{entry}.rateLimit", rateLimit);
        }

        if (policy.IpAccess is { } ipAccess)
        {
            CheckAddressList(errors, $"{entry}.ipAccess.allow", ipAccess.Allow);
            CheckAddressList(errors, $"{entry}.ipAccess.deny", ipAccess.Deny);
        }

        if (policy.Limits?.MaxBodyBytes is < 0)
        {
            errors.Add($"{entry}.limits.maxBodyBytes", $"must be 0 or more, got {policy.Limits.MaxBodyBytes}");
        }

        if (policy.Auth is { } auth)
        {
            ValidateAuth(errors, $"{entry}.auth", auth);
        }

        if (policy.Encryption is { } encryption)
        {
            ValidateEncryption(errors, $"{entry}.encryption", encryption);
        }

        if (policy.Filters is { } filters)
        {
            ValidateFilters(errors, $"{entry}.filters", filters);
        }
    }

    /// <summary>Each entry an IPv4/IPv6 address or a CIDR block with no host bits set past the prefix.</summary>
    private static void CheckAddressList(Errors errors, string entry, IReadOnlyList<string>? list)
    {
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            if (!Net.IpRange.TryParse(list![i], out _, out var error))
            {
                errors.Add(ConfigEntries.Index(entry, i), error!);
            }
        }
    }

    private static void ValidateLoadBalancer(Errors errors, string entry, LoadBalancerConfig loadBalancer)
    {
        CheckEnum(errors, $"{entry}.kind", loadBalancer.Kind);
        var isHash = loadBalancer.Kind == LoadBalancerKind.ConsistentHash;
        var kindText = ConfigEntries.EnumText(loadBalancer.Kind);
        if (isHash && loadBalancer.HashKey is null)
        {
            errors.Add($"{entry}.hashKey", "hashKey is required when kind is consistentHash");
        }
        else if (!isHash && loadBalancer.HashKey is not null)
        {
            errors.Add($"{entry}.hashKey", $"hashKey applies only when kind is consistentHash (kind is {kindText})");
        }

        if (loadBalancer.VirtualNodes is { } virtualNodes)
        {
            if (!isHash)
            {
                errors.Add($"{entry}.virtualNodes", $"virtualNodes applies only when kind is consistentHash (kind is {kindText})");
            }
            else if (virtualNodes is < 1 or > MaxVirtualNodes)
            {
                errors.Add($"{entry}.virtualNodes", $"must be between 1 and {MaxVirtualNodes}, got {virtualNodes}");
            }
        }

        if (loadBalancer.HashKey is { } hashKey)
        {
            ValidateHashKey(errors, $"{entry}.hashKey", hashKey);
        }
    }

    private static void ValidateHashKey(Errors errors, string entry, HashKeyConfig hashKey)
    {
        CheckEnum(errors, $"{entry}.source", hashKey.Source);
        CheckKeyName(errors, $"{entry}.name", hashKey.Name, Enum.IsDefined(hashKey.Source),
            hashKey.Source == HashKeySource.Header, hashKey.Source == HashKeySource.Query, ConfigEntries.EnumText(hashKey.Source));
    }

    /// <summary>
    /// The name of a key read from a request (hash keys, canary sticky keys): required and well-formed for a header
    /// or query source, absent for any other (defined) source.
    /// </summary>
    private static void CheckKeyName(Errors errors, string entry, string? name, bool sourceDefined, bool isHeader, bool isQuery,
        string sourceText)
    {
        if (!isHeader && !isQuery)
        {
            if (sourceDefined && name is not null)
            {
                errors.Add(entry, $"name applies only when source is header or query (source is {sourceText})");
            }
        }
        else if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(entry, $"name is required when source is {sourceText}");
        }
        else if (isHeader && !IsToken(name))
        {
            errors.Add(entry, $"'{name}' is not a valid header name");
        }
        else if (isQuery && name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '&' or '=' or '#'))
        {
            errors.Add(entry, $"'{name}' is not a valid query parameter name");
        }
    }

    private static void CheckTimeout(Errors errors, string entry, int? milliseconds)
    {
        if (milliseconds is < 1 or > MaxTimeoutMs)
        {
            errors.Add(entry, $"must be between 1 and {MaxTimeoutMs} ms (1 day), got {milliseconds}");
        }
    }
}
