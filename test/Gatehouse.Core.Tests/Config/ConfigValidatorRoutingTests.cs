using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorRoutingTests
{
    private static readonly LoadBalancerConfig _hashByHeader = new()
    {
        Kind = LoadBalancerKind.ConsistentHash,
        HashKey = new HashKeyConfig { Source = HashKeySource.Header, Name = "X-User-Id" },
    };

    public static TheoryData<string, Func<GatewayConfig, GatewayConfig>, string, string> Invalid => new()
    {
        { "version negative", c => c with { Version = -1 }, "version", "must be 0 or greater, got -1" },
        { "group invalid", c => c with { Group = "edge zone" }, "group", "group 'edge zone' may contain only letters" },

        { "mapping with neither prefix", c => c.Mapping(0, m => m with { DomainPrefix = null }), "originMappings[0]", "set exactly one of domainPrefix or pathPrefix (neither is set)" },
        { "mapping with both prefixes", c => c.Mapping(0, m => m with { PathPrefix = "/orders" }), "originMappings[0]", "set exactly one of domainPrefix or pathPrefix (both are set)" },
        { "domain prefix with dot", c => c.Mapping(0, m => m with { DomainPrefix = "orders.api" }), "originMappings[0].domainPrefix", "domainPrefix 'orders.api' must be a single DNS label" },
        { "domain prefix leading dash", c => c.Mapping(0, m => m with { DomainPrefix = "-orders" }), "originMappings[0].domainPrefix", "must be a single DNS label" },
        { "domain prefix empty", c => c.Mapping(0, m => m with { DomainPrefix = "" }), "originMappings[0].domainPrefix", "must be a single DNS label" },
        { "domain prefix too long", c => c.Mapping(0, m => m with { DomainPrefix = new string('a', 64) }), "originMappings[0].domainPrefix", "at most 63 characters" },
        { "domain prefix repeated in other case", c => c.Mapping(1, m => m with { PathPrefix = null, StripPrefix = false, DomainPrefix = "ORDERS" }), "originMappings[1].domainPrefix", "domain prefix 'ORDERS' is already mapped by originMappings[0]" },
        { "path prefix relative", c => c.Mapping(1, m => m with { PathPrefix = "users-svc" }), "originMappings[1].pathPrefix", "pathPrefix 'users-svc' must start with '/'" },
        { "path prefix root", c => c.Mapping(1, m => m with { PathPrefix = "/" }), "originMappings[1].pathPrefix", "'/' alone would capture every request" },
        { "path prefix trailing slash", c => c.Mapping(1, m => m with { PathPrefix = "/users-svc/" }), "originMappings[1].pathPrefix", "must not end with '/'" },
        { "path prefix wildcard", c => c.Mapping(1, m => m with { PathPrefix = "/users-*" }), "originMappings[1].pathPrefix", "must be literal: no '*', '{' or '}'" },
        { "path prefix braces", c => c.Mapping(1, m => m with { PathPrefix = "/users/{id}" }), "originMappings[1].pathPrefix", "must be literal: no '*', '{' or '}'" },
        { "path prefix query", c => c.Mapping(1, m => m with { PathPrefix = "/users?x=1" }), "originMappings[1].pathPrefix", "must not contain a query or fragment" },
        { "path prefix empty segment", c => c.Mapping(1, m => m with { PathPrefix = "/a//b" }), "originMappings[1].pathPrefix", "must not contain an empty segment" },
        { "path prefix repeated", c => c with { OriginMappings = [.. c.OriginMappings, c.OriginMappings[1]] }, "originMappings[2].pathPrefix", "path prefix '/users-svc' is already mapped by originMappings[1]" },
        { "mapping service missing", c => c.Mapping(0, m => m with { Service = "billing" }), "originMappings[0].service", "service 'billing' is not defined in services" },
        { "mapping service in wrong case", c => c.Mapping(0, m => m with { Service = "Orders" }), "originMappings[0].service", "service 'Orders' is not defined in services; did you mean 'orders'?" },
        { "mapping service empty", c => c.Mapping(0, m => m with { Service = "" }), "originMappings[0].service", "service name is required" },
        { "strip prefix on domain mapping", c => c.Mapping(0, m => m with { StripPrefix = true }), "originMappings[0].stripPrefix", "stripPrefix applies only to a pathPrefix mapping" },

        { "mapping entry null", c => c with { OriginMappings = [null!] }, "originMappings[0]", "entry is empty (null)" },
        { "set entry null", c => c with { ServiceSets = [null!] }, "serviceSets[0]", "entry is empty (null)" },
        { "set tag missing", c => c.Set(0, s => s with { Tag = "" }), "serviceSets[0].tag", "tag is required" },
        { "set tag invalid", c => c.Set(0, s => s with { Tag = "mobile app" }), "serviceSets[mobile app].tag", "tag 'mobile app' may contain only letters" },
        { "set tag repeated in other case", c => c with { ServiceSets = [.. c.ServiceSets, c.ServiceSets[0] with { Tag = "Mobile" }] }, "serviceSets[Mobile].tag", "tag 'Mobile' is used by more than one service set (first at serviceSets[0]" },
        { "set without services", c => c.Set(0, s => s with { Services = [] }), "serviceSets[mobile].services", "must list at least one service" },
        { "set service missing", c => c.Set(0, s => s with { Services = ["users", "billing"] }), "serviceSets[mobile].services[1]", "service 'billing' is not defined in services" },
        { "set service repeated", c => c.Set(0, s => s with { Services = ["users", "users"] }), "serviceSets[mobile].services[1]", "service 'users' is listed twice" },

        { "rate limit zero", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 0 } } }, "global.rateLimit.limit", "must be between 1 and 100000000, got 0" },
        { "rate limit negative window", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, WindowMs = -1 } } }, "global.rateLimit.windowMs", "must be between 1 and" },
        { "sliding window limit too large", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Algorithm = RateLimitAlgorithm.SlidingWindow, Limit = 2_000_000 } } }, "global.rateLimit.limit", "must be between 1 and 1000000" },
        { "burst on sliding window", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Algorithm = RateLimitAlgorithm.SlidingWindow, Limit = 5, Burst = 2 } } }, "global.rateLimit.burst", "burst applies only to the tokenBucket algorithm" },
        { "rate limit store undefined", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, Store = (RateLimitStore)7 } } }, "global.rateLimit.store", "'7' is not a valid RateLimitStore value" },
        { "rate limit fallback undefined", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, Store = RateLimitStore.Redis, Fallback = (RateLimitFallback)9 } } }, "global.rateLimit.fallback", "'9' is not a valid RateLimitFallback value" },
        { "burst zero", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, Burst = 0 } } }, "global.rateLimit.burst", "must be between 1 and" },
        { "rate limit header key without name", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, Key = new RateLimitKeyConfig { Source = RateLimitKeySource.Header } } } }, "global.rateLimit.key.name", "name (a header name) is required when source is header" },
        { "rate limit ip key with name", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, Key = new RateLimitKeyConfig { Source = RateLimitKeySource.ClientIp, Name = "x" } } } }, "global.rateLimit.key.name", "name does not apply when source is clientIp" },
        { "rate limit key name invalid", c => c with { Global = new PolicyConfig { RateLimit = new RateLimitConfig { Limit = 5, Key = new RateLimitKeyConfig { Source = RateLimitKeySource.AppKey, Name = "a b" } } } }, "global.rateLimit.key.name", "'a b' is not a valid header name" },
        { "consistent hash without key", c => c.GlobalLoadBalancer(new LoadBalancerConfig { Kind = LoadBalancerKind.ConsistentHash }), "global.loadBalancer.hashKey", "hashKey is required when kind is consistentHash" },
        { "header key without name", c => c.UsersLoadBalancer(lb => lb with { HashKey = lb.HashKey! with { Name = null } }), "services[users].policy.loadBalancer.hashKey.name", "name is required when source is header" },
        { "query key without name", c => c.GlobalLoadBalancer(_hashByHeader with { HashKey = new HashKeyConfig { Source = HashKeySource.Query, Name = " " } }), "global.loadBalancer.hashKey.name", "name is required when source is query" },
        { "header key name invalid", c => c.UsersLoadBalancer(lb => lb with { HashKey = lb.HashKey! with { Name = "X User" } }), "services[users].policy.loadBalancer.hashKey.name", "'X User' is not a valid header name" },
        { "query key name invalid", c => c.GlobalLoadBalancer(_hashByHeader with { HashKey = new HashKeyConfig { Source = HashKeySource.Query, Name = "a&b" } }), "global.loadBalancer.hashKey.name", "'a&b' is not a valid query parameter name" },
        { "client ip key with name", c => c.UsersLoadBalancer(lb => lb with { HashKey = new HashKeyConfig { Source = HashKeySource.ClientIp, Name = "x" } }), "services[users].policy.loadBalancer.hashKey.name", "name applies only when source is header or query (source is clientIp)" },
        { "virtual nodes zero", c => c.UsersLoadBalancer(lb => lb with { VirtualNodes = 0 }), "services[users].policy.loadBalancer.virtualNodes", "must be between 1 and 10000, got 0" },
        { "virtual nodes too many", c => c.UsersLoadBalancer(lb => lb with { VirtualNodes = 10_001 }), "services[users].policy.loadBalancer.virtualNodes", "must be between 1 and 10000, got 10001" },
        { "virtual nodes without hashing", c => c.GlobalLoadBalancer(new LoadBalancerConfig { Kind = LoadBalancerKind.LeastInFlight, VirtualNodes = 10 }), "global.loadBalancer.virtualNodes", "virtualNodes applies only when kind is consistentHash (kind is leastInFlight)" },
        { "hash key without hashing", c => c.GlobalLoadBalancer(new LoadBalancerConfig { HashKey = new HashKeyConfig() }), "global.loadBalancer.hashKey", "hashKey applies only when kind is consistentHash (kind is roundRobin)" },
        { "kind undefined", c => c.GlobalLoadBalancer(new LoadBalancerConfig { Kind = (LoadBalancerKind)7 }), "global.loadBalancer.kind", "'7' is not a valid LoadBalancerKind value" },
        { "api connect timeout zero", c => c.Api(0, 0, a => a with { Policy = new PolicyConfig { Timeouts = new TimeoutConfig { ConnectMs = 0 } } }), "services[orders].apis[get-order].policy.timeouts.connectMs", "must be between 1 and 86400000 ms (1 day), got 0" },
        { "service header timeout over a day", c => c.Service(0, s => s with { Policy = new PolicyConfig { Timeouts = new TimeoutConfig { ResponseHeadersMs = 86_400_001 } } }), "services[orders].policy.timeouts.responseHeadersMs", "got 86400001" },
        { "global idle timeout negative", c => c with { Global = new PolicyConfig { Timeouts = new TimeoutConfig { IdleMs = -5 } } }, "global.timeouts.idleMs", "got -5" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidRoutingOrPolicy_ReportsEntryAndMessage(string scenario, Func<GatewayConfig, GatewayConfig> change, string entry, string message)
    {
        var errors = ConfigValidator.Validate(change(ConfigFixtures.Valid()), "test.yaml");

        Assert.True(errors.Any(e => e.Entry == entry && e.Message.Contains(message, StringComparison.Ordinal)),
            $"{scenario}: expected '{entry}: ...{message}...', got:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    public static TheoryData<string, Func<GatewayConfig, GatewayConfig>> StillValid => new()
    {
        { "version 0", c => c with { Version = 0 } },
        { "virtual nodes 1", c => c.UsersLoadBalancer(lb => lb with { VirtualNodes = 1 }) },
        { "virtual nodes 10000", c => c.UsersLoadBalancer(lb => lb with { VirtualNodes = 10_000 }) },
        { "timeouts 1 ms and 1 day", c => c with { Global = new PolicyConfig { Timeouts = new TimeoutConfig { ConnectMs = 1, IdleMs = 86_400_000 } } } },
        { "path key without name", c => c.UsersLoadBalancer(lb => lb with { HashKey = new HashKeyConfig { Source = HashKeySource.Path } }) },
        { "nested path prefix", c => c.Mapping(1, m => m with { PathPrefix = "/api/users" }) },
        { "domain prefix with digits and dash", c => c.Mapping(0, m => m with { DomainPrefix = "orders-2" }) },
    };

    [Theory]
    [MemberData(nameof(StillValid))]
    public void Validate_EdgeOfValidRange_ReturnsNoErrors(string scenario, Func<GatewayConfig, GatewayConfig> change)
    {
        var errors = ConfigValidator.Validate(change(ConfigFixtures.Valid()), null);

        Assert.True(errors.Count == 0, $"{scenario}: {string.Join("; ", errors)}");
    }

    [Fact]
    public void Validate_ProblemsInEveryArea_ReportsAllOfThem()
    {
        var config = (ConfigFixtures.Valid() with { Version = -1 })
            .Node(0, 0, n => n with { Weight = -1 })
            .Api(0, 0, a => a with { Path = "orders" })
            .Mapping(0, m => m with { Service = "billing" })
            .Set(0, s => s with { Services = [] })
            .UsersLoadBalancer(lb => lb with { HashKey = null });

        var errors = ConfigValidator.Validate(config, "test.yaml");

        Assert.Equal(
            [
                "version",
                "services[orders].nodes[orders-1].weight",
                "services[orders].apis[get-order].path",
                "services[users].policy.loadBalancer.hashKey",
                "originMappings[0].service",
                "serviceSets[mobile].services",
            ],
            errors.Select(e => e.Entry));
        Assert.All(errors, e => Assert.Equal("test.yaml", e.Source));
    }

    [Fact]
    public void Validate_NullSource_LeavesSourceNull()
    {
        var errors = ConfigValidator.Validate(ConfigFixtures.Valid() with { Version = -1 }, null);

        Assert.Null(Assert.Single(errors).Source);
    }
}
