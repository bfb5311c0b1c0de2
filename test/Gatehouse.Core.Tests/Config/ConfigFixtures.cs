using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

/// <summary>Shared configs and helpers for the config tests.</summary>
internal static class ConfigFixtures
{
    /// <summary>A small valid config: two services, a mapping of each kind and a service set.</summary>
    public static GatewayConfig Valid() => new()
    {
        Version = 3,
        Global = new PolicyConfig { Timeouts = new TimeoutConfig { ConnectMs = 1000 } },
        Services =
        [
            new ServiceConfig
            {
                Name = "orders",
                Nodes =
                [
                    new NodeConfig { Id = "orders-1", Address = "http://127.0.0.1:5101", Loc = "dc1" },
                    new NodeConfig { Address = "http://127.0.0.1:5102", Gray = ["canary"] },
                ],
                Apis =
                [
                    new ApiConfig { Id = "get-order", Methods = ["GET"], Path = "/orders/{id}" },
                    new ApiConfig { Id = "create-order", Methods = ["POST"], Path = "/orders" },
                ],
            },
            new ServiceConfig
            {
                Name = "users",
                Policy = new PolicyConfig
                {
                    LoadBalancer = new LoadBalancerConfig
                    {
                        Kind = LoadBalancerKind.ConsistentHash,
                        HashKey = new HashKeyConfig { Source = HashKeySource.Header, Name = "X-User-Id" },
                    },
                },
                Nodes = [new NodeConfig { Id = "users-1", Address = "http://127.0.0.1:5201" }],
            },
        ],
        OriginMappings =
        [
            new OriginMappingConfig { DomainPrefix = "orders", Service = "orders" },
            new OriginMappingConfig { PathPrefix = "/users-svc", Service = "users", StripPrefix = true },
        ],
        ServiceSets = [new ServiceSetConfig { Tag = "mobile", Services = ["users", "orders"] }],
    };

    /// <summary>
    /// A config with every member of every type set to something other than its default, for round-trip tests.
    /// Not meant to be valid (a mapping sets both prefixes, so both are covered).
    /// </summary>
    public static GatewayConfig Full()
    {
        var policy = new PolicyConfig
        {
            LoadBalancer = new LoadBalancerConfig
            {
                Kind = LoadBalancerKind.ConsistentHash,
                HashKey = new HashKeyConfig { Source = HashKeySource.Query, Name = "user" },
                VirtualNodes = 200,
            },
            Routing = new RoutingConfig { Nearest = true, Gray = false },
            Canary = new CanaryConfig
            {
                // Gray and version together would be refused by validation; serialization covers both.
                Gray = "blue",
                Version = "v2",
                Percent = 12.5,
                Sticky = new CanaryStickyConfig { Source = CanaryKeySource.Header, Name = "X-User" },
            },
            Timeouts = new TimeoutConfig { ConnectMs = 1000, ResponseHeadersMs = 2000, IdleMs = 3000, RequestMs = 4000 },
            Retry = new RetryConfig
            {
                OnConnectFailure = false,
                OnResponseHeadersTimeout = true,
                OnStatuses = [502, 503],
                MaxAttempts = 3,
                Retryable = true,
                BudgetPercent = 10,
                MinRetriesPerSecond = 5,
            },
            CircuitBreaker = new CircuitBreakerConfig
            {
                Enabled = true,
                Scope = CircuitBreakerScope.ApiNode,
                FailureRatio = 0.25,
                SlowCallRatio = 0.75,
                SlowCallMs = 300,
                MinimumThroughput = 7,
                WindowMs = 4000,
                OpenMs = 900,
                HalfOpenProbes = 2,
                FailureStatuses = [500, 503],
            },
            RateLimit = new RateLimitConfig
            {
                // Every member away from its default (burst would be refused with slidingWindow by validation,
                // but this fixture only exercises serialization).
                Algorithm = RateLimitAlgorithm.SlidingWindow,
                Limit = 50,
                WindowMs = 2000,
                Burst = 10,
                Key = new RateLimitKeyConfig { Source = RateLimitKeySource.Header, Name = "X-User" },
                Store = RateLimitStore.Redis,
                Fallback = RateLimitFallback.FailOpen,
            },
            IpAccess = new IpAccessConfig { Allow = ["10.0.0.0/8", "2001:db8::/32"], Deny = ["10.9.0.0/16"] },
            Limits = new RequestLimitsConfig { MaxBodyBytes = 1 << 20 },
            Filters =
            [
                new FilterConfig
                {
                    Name = "cors",
                    Settings = System.Text.Json.JsonDocument.Parse("""{ "origins": [ "https://app.example.com" ], "maxAgeSeconds": 60 }""").RootElement,
                },
            ],
            Auth = new AuthConfig
            {
                Sign = new SignConfig { Required = true, Headers = ["content-type"], TimestampWindowMs = 1000, NonceTtlMs = 2000, MaxSignedBodyBytes = 100 },
                Jwt = new JwtConfig
                {
                    Required = true,
                    Issuer = "https://issuer",
                    Audiences = ["orders"],
                    JwksUri = "https://issuer/jwks",
                    Algorithms = ["RS256"],
                    ClockSkewMs = 0,
                    JwksRefreshMs = 5000,
                    ForwardClaims = new Dictionary<string, string> { ["sub"] = "X-User" },
                },
                Login = new LoginConfig
                {
                    Required = true,
                    CheckUri = "https://sessions/check",
                    TokenCookie = "SESSION",
                    TokenHeader = "X-Session-Token",
                    CacheMs = 1000,
                    NegativeCacheMs = 500,
                    TimeoutMs = 300,
                    UserIdHeader = "X-Uid",
                },
                ClientCertificate = new ClientCertificateConfig
                {
                    Required = true,
                    Subjects = ["CN=orders, O=Example"],
                    Thumbprints = ["0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
                },
            },
            Encryption = new EncryptionConfig { Required = true, MaxBodyBytes = 4096, EncryptResponse = false },
        };

        return new GatewayConfig
        {
            Version = 42,
            Group = "edge",
            Global = policy,
            Services =
            [
                new ServiceConfig
                {
                    Name = "orders",
                    Group = "edge",
                    Policy = policy with { Routing = new RoutingConfig { Nearest = false, Gray = true } },
                    ActiveVersion = "v1",
                    HealthCheck = new HealthCheckConfig
                    {
                        Enabled = false,
                        Path = "/healthz",
                        IntervalMs = 2000,
                        TimeoutMs = 700,
                        HealthyThreshold = 3,
                        UnhealthyThreshold = 4,
                        Passive = new PassiveHealthConfig
                        {
                            Enabled = false,
                            ConsecutiveFailures = 5,
                            FailureRatio = 0.25,
                            WindowMs = 20_000,
                            MinimumRequests = 50,
                            EjectMs = 7000,
                            CountServerErrors = true,
                        },
                    },
                    SlowStartMs = 30_000,
                    Discovery = new DiscoveryConfig
                    {
                        Dubbo = new DubboDiscoveryConfig { Interface = "com.example.X", Version = "1.0.0", Group = "east" },
                    },
                    UpstreamTls = new UpstreamTlsConfig
                    {
                        CaFile = "/tls/ca.pem",
                        ClientCertFile = "/tls/client.pem",
                        ClientKeyFile = "/tls/client.key",
                        ClientPfxFile = "/tls/client.pfx",
                        ClientPfxPasswordRef = "PFX_PASSWORD",
                        ServerName = "orders.internal",
                        InsecureSkipVerify = true,
                    },
                    Nodes =
                    [
                        new NodeConfig
                        {
                            Id = "n1",
                            Address = "https://10.0.0.1:8443/base",
                            Weight = 7,
                            Loc = "dc9",
                            Online = false,
                            Gray = ["blue", "green"],
                            Version = "v1",
                            Protocol = UpstreamProtocol.Http2,
                            HealthPath = "/h",
                            Source = NodeSource.ZooKeeper,
                            // Non-ASCII and HTML-sensitive characters must survive escaping.
                            Metadata = new Dictionary<string, string> { ["k"] = "v", ["ключ"] = "<ü & \"q\">" },
                        },
                    ],
                    Apis =
                    [
                        new ApiConfig { Id = "a1", Methods = ["PUT", "PATCH"], Path = "/x/[0-9]+", Match = MatchKind.Regex, Policy = policy, Source = NodeSource.Sdk,
                            Protocol = ApiProtocol.Dubbo,
                            Dubbo = new DubboApiConfig
                            {
                                Interface = "com.example.X", Method = "m", Version = "1.0.0", Group = "g", ParameterTypes = ["int"],
                                ParameterNames = ["n"], AttachHeaders = ["x-user-id"],
                            },
                            // Not a valid pair with Dubbo: this fixture exercises serialization of every member.
                            Tars = new TarsApiConfig
                            {
                                Servant = "A.B.C", Function = "f", Mode = TarsMode.Json, Idl = "module M { interface I { int f(); }; };", Interface = "I",
                                Parameters = [new TarsParameterConfig { Name = "p", Type = "vector<int>", Out = true }], ReturnType = "S",
                                Structs = new Dictionary<string, IReadOnlyList<TarsFieldConfig>>
                                {
                                    ["S"] = [new TarsFieldConfig { Tag = 20, Name = "x", Type = "map<string, long>", Required = true }],
                                },
                                ContextHeaders = ["x-tenant"],
                            },
                            GrpcTranscoding = new GrpcTranscodingConfig
                            {
                                DescriptorSet = "api.pb", DescriptorSetBase64 = "CgA=", Services = ["pkg.Svc"],
                                Rules =
                                [
                                    new GrpcHttpRuleConfig { Selector = "pkg.Svc.M", Get = "/v1/{a}", Put = "/p", Post = "/po", Delete = "/d", Patch = "/pa",
                                        Body = "*", ResponseBody = "r" },
                                ],
                            },
                        },
                    ],
                },
            ],
            OriginMappings = [new OriginMappingConfig { DomainPrefix = "orders", PathPrefix = "/orders", Service = "orders", StripPrefix = true }],
            ServiceSets = [new ServiceSetConfig { Tag = "t", Services = ["orders"] }],
            Apps = [new AppConfig { AppKey = "k1", Secret = "s", SecretRef = "S", Permissions = ["orders"], Enabled = false, Description = "d" }],
            Plugins = [new PluginPinConfig { Name = "stamp", Sha256 = new string('a', 64), Factories = ["stamp"] }],
        };
    }

    /// <summary>The content of <see cref="Valid"/> as YAML.</summary>
    public const string ValidYaml = """
        version: 3
        global:
          timeouts:
            connectMs: 1000
        services:
          - name: orders
            nodes:
              - id: orders-1
                address: http://127.0.0.1:5101
                loc: dc1
              - address: http://127.0.0.1:5102
                gray: [canary]
            apis:
              - id: get-order
                methods: [GET]
                path: /orders/{id}
              - id: create-order
                methods: [POST]
                path: /orders
          - name: users
            policy:
              loadBalancer:
                kind: consistentHash
                hashKey: { source: header, name: X-User-Id }
            nodes:
              - { id: users-1, address: "http://127.0.0.1:5201" }
        originMappings:
          - domainPrefix: orders
            service: orders
          - pathPrefix: /users-svc
            service: users
            stripPrefix: true
        serviceSets:
          - tag: mobile
            services: [users, orders]
        """;

    /// <summary>The content of <see cref="Valid"/> as JSON, keys in a different order, with a comment and trailing commas.</summary>
    public const string ValidJson = """
        {
          // keys deliberately out of model order
          "serviceSets": [ { "services": ["users", "orders"], "tag": "mobile" } ],
          "originMappings": [
            { "service": "orders", "domainPrefix": "orders" },
            { "stripPrefix": true, "service": "users", "pathPrefix": "/users-svc" },
          ],
          "services": [
            {
              "nodes": [
                { "loc": "dc1", "address": "http://127.0.0.1:5101", "id": "orders-1" },
                { "gray": ["canary"], "address": "http://127.0.0.1:5102" }
              ],
              "name": "orders",
              "apis": [
                { "path": "/orders/{id}", "methods": ["GET"], "id": "get-order" },
                { "path": "/orders", "methods": ["POST"], "id": "create-order" }
              ]
            },
            {
              "name": "users",
              "nodes": [ { "address": "http://127.0.0.1:5201", "id": "users-1" } ],
              "policy": { "loadBalancer": { "hashKey": { "name": "X-User-Id", "source": "header" }, "kind": "consistentHash" } }
            }
          ],
          "global": { "timeouts": { "connectMs": 1000 } },
          "version": 3,
        }
        """;

    /// <summary>Parses YAML and returns the errors it is rejected with (fails the test if it is accepted).</summary>
    public static IReadOnlyList<ConfigError> YamlErrors(string yaml) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "test.yaml", ConfigFormat.Yaml)).Errors;

    /// <summary>Parses JSON and returns the errors it is rejected with (fails the test if it is accepted).</summary>
    public static IReadOnlyList<ConfigError> JsonErrors(string json) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json, "test.json", ConfigFormat.Json)).Errors;

    /// <summary>The repository root: the nearest folder above the test assembly that holds Gatehouse.slnx.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gatehouse.slnx not found above the test assembly.");
    }
}
