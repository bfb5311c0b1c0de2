using Gatehouse.Gateway.Http;
namespace Gatehouse.Gateway.Hosting;

/// <summary>Settings of one gateway node (section <c>Gatehouse:Gateway</c>); the routed config lives elsewhere.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gatehouse:Gateway";

    /// <summary>Configuration key of the control secret shared by admin and gateways.</summary>
    public const string ControlSecretKey = "Gatehouse:ControlSecret";

    /// <summary>Configuration key of the control secrets still accepted during a rotation (a list; admin and gateways read it).</summary>
    public const string PreviousControlSecretsKey = "Gatehouse:PreviousControlSecrets";

    /// <summary>Address the traffic and control ports bind to.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    public int Port { get; set; } = 8080;

    public int ControlPort { get; set; } = 8081;

    /// <summary>
    /// Cleartext HTTP/2 (h2c, prior knowledge) traffic port for gRPC clients without TLS; off when unset. A port
    /// of its own because Kestrel serves cleartext HTTP/1.1 and HTTP/2 on one endpoint only as HTTP/1.1.
    /// </summary>
    public int? H2cPort { get; set; }

    /// <summary>
    /// Translates gRPC-Web calls (<c>application/grpc-web</c>, <c>application/grpc-web-text</c>) into gRPC for the
    /// nodes, on every traffic port (see Grpc.GrpcWebBridge). Off, gRPC-Web requests pass through unchanged, for
    /// nodes that serve gRPC-Web themselves.
    /// </summary>
    public bool GrpcWeb { get; set; } = true;

    /// <summary>Id of this gateway node; defaults to the machine name.</summary>
    public string NodeId { get; set; } = Environment.MachineName;

    public string Group { get; set; } = "default";

    /// <summary>This node's datacenter / zone, used by nearest routing. Null disables nearest routing.</summary>
    public string? Loc { get; set; }

    /// <summary>Declarative config file (YAML or JSON) for DB-less mode.</summary>
    public string? ConfigPath { get; set; }

    /// <summary>How often the config file's timestamp and size are polled, as a safety net for missed watcher events.</summary>
    public TimeSpan ConfigPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the config file must stay unchanged (same size, time and content) before it is applied, so a file
    /// still being written is never loaded half-way (default 500 ms). Writers should still write a temporary file and
    /// rename it into place; this guards the ones that write in place. Zero applies what is read at once.
    /// </summary>
    public TimeSpan ConfigSettleDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Directory of hot-loaded plugins: one folder per plugin holding its assembly and dependencies, each loaded into a
    /// collectible load context of its own and watched for changes (docs/plugins.md). Null: no plugins directory.
    /// </summary>
    public string? PluginsPath { get; set; }

    /// <summary>How often the plugins directory is scanned, as a safety net for missed watcher events (default 2 s).</summary>
    public TimeSpan PluginsPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a plugin folder must stay unchanged (file names, sizes and times) before it is loaded, so a plugin still
    /// being copied is never loaded half-way (default 500 ms).
    /// </summary>
    public TimeSpan PluginsSettleDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long the node keeps serving after a stop signal (SIGTERM) while <c>/readyz</c> answers 503, so a balancer
    /// checking it takes the node out of rotation before it stops accepting (default 5 s; zero stops accepting at once).
    /// Longer than the balancer's check interval times its fall count, plus a margin.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long in-flight requests get to finish once the node has stopped accepting (default 30 s); requests still
    /// running then are cut off and the process exits. A process manager's stop timeout must exceed
    /// <see cref="DrainDelay"/> plus this.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Base URL of the admin service (e.g. <c>http://127.0.0.1:9000</c>), or a comma-separated list of admins that
    /// share one store (the first that answers is used; the next takes over when it fails). When set the node takes
    /// its config from the admin (pull, push, local snapshot file) and <see cref="ConfigPath"/> is ignored.
    /// </summary>
    public string? AdminUrl { get; set; }

    /// <summary>
    /// Shared HMAC secret of the control channel. Bound from the top-level key <see cref="ControlSecretKey"/>, not
    /// from this section, because the admin reads the same key; a value under this section is overwritten.
    /// </summary>
    public string? ControlSecret { get; set; }

    /// <summary>
    /// Control secrets still accepted while the fleet rotates to <see cref="ControlSecret"/>: pushes signed with them
    /// are verified and app secrets sealed under them open; nothing is signed or sealed with them. Bound from the
    /// top-level list <see cref="PreviousControlSecretsKey"/> (docs/configuration.md, "Rotating the control secret").
    /// </summary>
    public IReadOnlyList<string> PreviousControlSecrets { get; set; } = [];

    /// <summary>Local copy of the last applied admin snapshot; default <c>./data/snapshot-{group}-{nodeId}.json</c>.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>
    /// Where plugin packages distributed by the admin are cached, one <c>{sha256}.zip</c> each, verified against the
    /// snapshot's pin every time they are loaded (docs/plugins.md, "Deploying through the admin"); default
    /// <c>plugins-{group}-{nodeId}</c> beside the snapshot file (<c>./data/plugins-{group}-{nodeId}</c>).
    /// </summary>
    public string? PluginCachePath { get; set; }

    /// <summary><see cref="PluginCachePath"/>, or <c>plugins-{group}-{nodeId}</c> in the snapshot file's directory.</summary>
    public string ResolvePluginCachePath() =>
        Path.GetFullPath(PluginCachePath ?? Path.Combine(Path.GetDirectoryName(ResolveSnapshotPath())!, $"plugins-{Group}-{NodeId}"));

    /// <summary>How often the node asks the admin for changes, besides pushes.</summary>
    public TimeSpan PullInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the node reports its applied version to the admin.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Control URL advertised to the admin for pushes; default <c>http://{ListenAddress}:{ControlPort}</c>.</summary>
    public string? ControlAddress { get; set; }

    /// <summary>
    /// The engine under the plaintext traffic port: <c>loop</c> (the gateway's own epoll event loops, carrying node
    /// connections too; the default, Linux x86-64 — elsewhere the node logs it and runs <c>platform</c>) or
    /// <c>platform</c> (Kestrel's socket transport and the platform's HTTP client sockets: the off switch). The
    /// control, h2c and TLS ports always run on <c>platform</c>.
    /// </summary>
    public string Engine { get; set; } = Gatehouse.Gateway.Engine.GatewayEngines.Loop;

    /// <summary>Settings of the <c>loop</c> engine.</summary>
    public Gatehouse.Gateway.Engine.LoopEngineOptions LoopEngine { get; set; } = new();

    public GatewayHeaderNames Headers { get; set; } = new();

    public GatewayLimits Limits { get; set; } = new();

    /// <summary>OpenTelemetry (OTLP) push of metrics and traces; off unless an endpoint is set.</summary>
    public GatewayOtlpOptions Otlp { get; set; } = new();

    /// <summary>
    /// The Redis shared by the gateways of a group for limits with <c>store: redis</c> (section
    /// <c>Gatehouse:Gateway:Redis</c>). Timeouts are short by default: a limiter waits for Redis on the request path.
    /// </summary>
    public Redis.RedisOptions Redis { get; set; } = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        CommandTimeout = TimeSpan.FromMilliseconds(250),
    };

    public GatewayRateLimitOptions RateLimit { get; set; } = new();

    /// <summary>TLS termination on the traffic path (section <c>Gatehouse:Gateway:Tls</c>); off unless a certificate is configured.</summary>
    public Tls.GatewayTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// Addresses or CIDR blocks of proxies in front of the gateway (L7 balancers, CDNs) whose
    /// <c>X-Forwarded-For</c> is believed. Default none: the client address is the TCP peer and any
    /// <c>X-Forwarded-For</c> a client sends is only passed on, never used for IP lists, rate-limit or hash keys.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Where signature nonces are remembered (section <c>Gatehouse:Gateway:Nonces</c>).</summary>
    public GatewayNonceOptions Nonces { get; set; } = new();

    /// <summary><see cref="SnapshotPath"/>, or the default file name for this node's group and id.</summary>
    public string ResolveSnapshotPath() =>
        Path.GetFullPath(SnapshotPath ?? Path.Combine("data", $"snapshot-{Group}-{NodeId}.json"));

    /// <summary>
    /// <see cref="ControlAddress"/>, or the control port on <see cref="ListenAddress"/>; a wildcard listen address
    /// is not reachable as a destination, so loopback is advertised instead.
    /// </summary>
    public string ResolveControlAddress()
    {
        if (!string.IsNullOrWhiteSpace(ControlAddress))
        {
            return ControlAddress.TrimEnd('/');
        }

        var host = System.Net.IPAddress.TryParse(ListenAddress, out var ip)
            && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any))
            ? "127.0.0.1"
            : ListenAddress;
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        return $"http://{host}:{ControlPort}";
    }
}

/// <summary>Names of the request headers (and query parameter) the gateway reads.</summary>
public sealed class GatewayHeaderNames
{
    /// <summary>Header, and query parameter, naming the target service.</summary>
    public string ServiceName { get; set; } = "serviceName";

    public string Gray { get; set; } = "gray";

    public string ScTag { get; set; } = "scTag";
}

/// <summary>OTLP export (section <c>Gatehouse:Gateway:Otlp</c>). Prometheus scraping of <c>/metrics</c> needs none of it.</summary>
public sealed class GatewayOtlpOptions
{
    /// <summary>
    /// Collector base address, e.g. <c>http://127.0.0.1:4317</c> (gRPC) or <c>http://127.0.0.1:4318</c>
    /// (HTTP); null or empty turns OTLP export off, and spans are then never recorded.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>; for HTTP, <c>/v1/metrics</c> and <c>/v1/traces</c> are appended.</summary>
    public string Protocol { get; set; } = "grpc";

    /// <summary>How often metrics are pushed.</summary>
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Share of new traces recorded (0..1), applied to requests without a sampled parent; a client's sampled
    /// flag is honoured either way (parent-based sampling).
    /// </summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary><c>service.name</c> resource attribute of the exported data.</summary>
    public string ServiceName { get; set; } = "gatehouse-gateway";
}

/// <summary>Request limits enforced before routing.</summary>
public sealed class GatewayLimits
{
    /// <summary>Total size of request header names and values; larger gets 431 problem JSON.</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Number of request headers; more gets 431 problem JSON.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>Request body size limit; null (the default) streams bodies of any size.</summary>
    public long? MaxRequestBodySize { get; set; }

    /// <summary>Length of the request target (path and query as sent); longer gets 414 <c>uri_too_long</c>.</summary>
    public int MaxUrlLength { get; set; } = 8 * 1024;

    /// <summary>
    /// Characters of the request method; longer gets 400 <c>bad_request</c> before routing. Registered methods are at
    /// most 17 characters (<c>UPDATEREDIRECTREF</c>); extension methods of ordinary length are still forwarded.
    /// </summary>
    public int MaxMethodLength { get; set; } = 32;

    /// <summary>
    /// Gateways a request may already have passed (the <c>X-Gatehouse-Hops</c> header each one increments) before
    /// this one refuses it with 508 <c>loop_detected</c>: a mapping that points back at a gateway would otherwise
    /// loop until connections run out.
    /// </summary>
    public int MaxHops { get; set; } = 8;

    /// <summary>
    /// Time a client has to send the whole request line and headers (Kestrel's RequestHeadersTimeout). Short enough
    /// that connections dribbling headers (slowloris) are closed before they add up.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an idle keep-alive connection is kept open (Kestrel's KeepAliveTimeout).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>
    /// Slowest accepted request body upload in bytes per second, averaged after <see cref="MinRequestBodyGracePeriod"/>
    /// (Kestrel's MinRequestBodyDataRate); 0 turns the check off.
    /// </summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Open connections accepted at once on the traffic port; null (the default) for no limit.</summary>
    public long? MaxConcurrentConnections { get; set; }
}

/// <summary>Per-node settings of rate limiting (section <c>Gatehouse:Gateway:RateLimit</c>).</summary>
public sealed class GatewayRateLimitOptions
{
    /// <summary>
    /// How many gateways share the group's limits. While Redis is unavailable, the <c>local</c> fallback admits
    /// 1/GatewayCount of a limit on each node, so the group stays near the limit. Values below 1 count as 1.
    /// </summary>
    public int GatewayCount { get; set; } = 1;

    /// <summary>How often an unavailable Redis is probed (PING) to switch shared limiting back on.</summary>
    public TimeSpan RedisProbeInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Per-node settings of the signature nonce store (section <c>Gatehouse:Gateway:Nonces</c>).</summary>
public sealed class GatewayNonceOptions
{
    /// <summary>
    /// <c>auto</c> (default): Redis when <c>Gatehouse:Gateway:Redis:Address</c> is set, else local. <c>local</c>:
    /// each node remembers its own nonces. <c>redis</c>: shared through Redis; without an address the node
    /// refuses to start.
    /// </summary>
    public NonceStoreKind Store { get; set; } = NonceStoreKind.Auto;

    /// <summary>What the Redis store does while Redis is unreachable or too slow.</summary>
    public NonceStoreFallback Fallback { get; set; } = NonceStoreFallback.Local;

    /// <summary>How often an unavailable Redis is probed (PING) to switch the shared nonce store back on.</summary>
    public TimeSpan RedisProbeInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Values of <see cref="GatewayNonceOptions.Store"/>.</summary>
public enum NonceStoreKind
{
    Auto,
    Local,
    Redis,
}

/// <summary>Values of <see cref="GatewayNonceOptions.Fallback"/>.</summary>
public enum NonceStoreFallback
{
    /// <summary>The node's own store decides: replays to this node are still refused, replays to others are not.</summary>
    Local,

    /// <summary>Signed requests are refused with 503 <c>nonce_store_unavailable</c> until Redis answers again.</summary>
    FailClosed,
}
