namespace Gatehouse.Core.Config;

/// <summary>
/// The whole configuration a gateway node serves from: what the declarative file holds in DB-less mode
/// and what the admin publishes as a snapshot for one group. Immutable; compared by value where it matters.
/// </summary>
public sealed record GatewayConfig
{
    /// <summary>Monotonic snapshot version. The admin sets it; a file may leave it 0 (the gateway then counts loads).</summary>
    public long Version { get; init; }

    /// <summary>Gateway group this config belongs to. Services of other groups are ignored by a gateway.</summary>
    public string? Group { get; init; }

    /// <summary>Policy applied where neither a service nor an API says otherwise.</summary>
    public PolicyConfig? Global { get; init; }

    public IReadOnlyList<ServiceConfig> Services { get; init; } = [];

    public IReadOnlyList<OriginMappingConfig> OriginMappings { get; init; } = [];

    public IReadOnlyList<ServiceSetConfig> ServiceSets { get; init; } = [];

    /// <summary>
    /// Callers that sign requests (appKey/appSecret), with the services and APIs each may call. Nullable so a config
    /// without apps serializes (and checksums) exactly as before apps existed.
    /// </summary>
    public IReadOnlyList<AppConfig>? Apps { get; init; }

    /// <summary>
    /// The uploaded plugin packages this config's filters come from, each pinned by its sha256 (docs/plugins.md,
    /// "Deploying through the admin"). The admin writes it when it publishes a version; a gateway in admin mode fetches,
    /// verifies and loads exactly these before it applies the config. Null (no uploaded plugin named) keeps the form, and
    /// so the checksum, of configs from before packages existed.
    /// </summary>
    public IReadOnlyList<PluginPinConfig>? Plugins { get; init; }
}

/// <summary>An application (service) behind the gateway: its upstream nodes, its APIs and its policy.</summary>
public sealed record ServiceConfig
{
    /// <summary>Stable, unique name; what the <c>serviceName</c> header and mappings refer to.</summary>
    public string Name { get; init; } = "";

    public string? Group { get; init; }

    public PolicyConfig? Policy { get; init; }

    /// <summary>
    /// Blue-green switch: when set, only nodes whose <see cref="NodeConfig.Version"/> equals it take ordinary
    /// traffic (requests without a matching <c>gray</c> header). Null: every ordinary node takes traffic.
    /// </summary>
    public string? ActiveVersion { get; init; }

    /// <summary>Active and passive health checking of the nodes; null: the defaults of <see cref="HealthCheckConfig"/>.</summary>
    public HealthCheckConfig? HealthCheck { get; init; }

    /// <summary>
    /// A node that joins or recovers ramps from 10% to 100% of its weight over this many milliseconds; null or 0 (default) is off.
    /// </summary>
    public int? SlowStartMs { get; init; }

    public IReadOnlyList<NodeConfig> Nodes { get; init; } = [];

    public IReadOnlyList<ApiConfig> Apis { get; init; } = [];

    /// <summary>Nodes discovered from a registry besides the static ones (Dubbo providers in ZooKeeper); null: none.</summary>
    public DiscoveryConfig? Discovery { get; init; }

    /// <summary>TLS towards the service's https nodes: custom CA, client certificate (mTLS), server name; null: system defaults.</summary>
    public UpstreamTlsConfig? UpstreamTls { get; init; }
}

/// <summary>One upstream instance of a service.</summary>
public sealed record NodeConfig
{
    /// <summary>Stable id; defaults to <c>host:port</c> of <see cref="Address"/>.</summary>
    public string? Id { get; init; }

    /// <summary>
    /// Base address, <c>http://host:port</c> or <c>https://host:port</c>, optionally with a path prefix; or
    /// <c>dubbo://host:port</c> for a Dubbo provider (services whose APIs use <c>protocol: dubbo</c>), <c>tars://host:port</c>
    /// for a Tars server (<c>protocol: tars</c>).
    /// </summary>
    public string Address { get; init; } = "";

    /// <summary>Relative weight for the weighted balancers; 0 takes the node out of weighted picks.</summary>
    public int Weight { get; init; } = 100;

    /// <summary>Datacenter / zone label used by nearest routing.</summary>
    public string? Loc { get; init; }

    /// <summary>Traffic switch: an offline node gets no traffic (health checks still run).</summary>
    public bool Online { get; init; } = true;

    /// <summary>Gray tags: the node only serves requests whose <c>gray</c> header names one of them.</summary>
    public IReadOnlyList<string> Gray { get; init; } = [];

    /// <summary>Release version of the code the node runs (e.g. <c>v2</c>); matched by <see cref="ServiceConfig.ActiveVersion"/> and canary.</summary>
    public string? Version { get; init; }

    /// <summary>Upstream protocol: HTTP/1.1, or HTTP/2 with prior knowledge (h2c on plain http).</summary>
    public UpstreamProtocol Protocol { get; init; } = UpstreamProtocol.Http1;

    public string? HealthPath { get; init; }

    public NodeSource Source { get; init; } = NodeSource.Manual;

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>An API of a service: which requests it matches, and an optional policy of its own.</summary>
public sealed record ApiConfig
{
    /// <summary>Stable id, unique within its service; used in metrics and logs instead of raw paths.</summary>
    public string Id { get; init; } = "";

    /// <summary>HTTP methods; empty means any method.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    public string Path { get; init; } = "";

    /// <summary>How <see cref="Path"/> matches; when omitted it is inferred (see <see cref="MatchKind.Auto"/>).</summary>
    public MatchKind Match { get; init; } = MatchKind.Auto;

    public PolicyConfig? Policy { get; init; }

    /// <summary>What requests are converted to; null (the default) is <see cref="ApiProtocol.Http"/>: forwarded as they are.</summary>
    public ApiProtocol? Protocol { get; init; }

    /// <summary>The Dubbo method called; required with <c>protocol: dubbo</c>, not allowed otherwise.</summary>
    public DubboApiConfig? Dubbo { get; init; }

    /// <summary>The Tars function called; required with <c>protocol: tars</c>, not allowed otherwise.</summary>
    public TarsApiConfig? Tars { get; init; }
    /// <summary>The gRPC methods HTTP/JSON requests are transcoded to; required with <c>protocol: grpcTranscoding</c>, not allowed otherwise.</summary>
    public GrpcTranscodingConfig? GrpcTranscoding { get; init; }

    /// <summary>
    /// Who declared the API: <c>sdk</c> or <c>zooKeeper</c> when the registry added it from a node's report; null (shown as
    /// manual) when it was written by hand, through the admin API, the console or a config file. Informational: gateways
    /// route every API alike.
    /// </summary>
    public NodeSource? Source { get; init; }
}

/// <summary>Maps a domain prefix or a path prefix to a service.</summary>
public sealed record OriginMappingConfig
{
    /// <summary>First DNS label of the Host, e.g. <c>orders</c> for <c>orders.api.example.com</c>.</summary>
    public string? DomainPrefix { get; init; }

    /// <summary>Leading path segments, e.g. <c>/orders-svc</c>.</summary>
    public string? PathPrefix { get; init; }

    public string Service { get; init; } = "";

    /// <summary>Remove <see cref="PathPrefix"/> before API matching and forwarding.</summary>
    public bool StripPrefix { get; init; }
}

/// <summary>A named, ordered list of services selected by the <c>scTag</c> header.</summary>
public sealed record ServiceSetConfig
{
    public string Tag { get; init; } = "";

    public IReadOnlyList<string> Services { get; init; } = [];
}

public enum UpstreamProtocol
{
    Http1,
    Http2,
}

public enum NodeSource
{
    Manual,
    File,
    Sdk,
    ZooKeeper,

    /// <summary>A Dubbo provider found in ZooKeeper through the service's <see cref="ServiceConfig.Discovery"/>.</summary>
    Dubbo,
}

public enum MatchKind
{
    /// <summary>Regex never inferred; a path with <c>*</c> is a wildcard, with <c>{..}</c> a template, else exact.</summary>
    Auto,
    Exact,
    Template,
    Wildcard,
    Prefix,
    Regex,
}
