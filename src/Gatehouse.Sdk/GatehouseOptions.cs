using System.ComponentModel.DataAnnotations;

namespace Gatehouse.Sdk;

/// <summary>How this service joins Gatehouse; bound from the <c>Gatehouse</c> configuration section, then the code's delegate.</summary>
public sealed class GatehouseOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string Section = "Gatehouse";

    /// <summary>Registry kind of the embedded HTTP registry in the admin.</summary>
    public const string HttpRegistry = "http";

    /// <summary>Registry kind of ZooKeeper (ephemeral znodes).</summary>
    public const string ZooKeeperRegistry = "zookeeper";

    /// <summary>The service's name in Gatehouse (required).</summary>
    [Required]
    public string Service { get; set; } = "";

    /// <summary>The gateway group the service belongs to (required; an operator creates groups).</summary>
    [Required]
    public string Group { get; set; } = "";

    /// <summary>Datacenter / zone label for nearest routing.</summary>
    public string? Loc { get; set; }

    /// <summary>Relative weight for weighted balancing (0..10000; default 100).</summary>
    [Range(0, 10_000)]
    public int Weight { get; set; } = 100;

    /// <summary>Gray tags: the node only serves requests whose <c>gray</c> header names one of them.</summary>
    public List<string> Gray { get; set; } = [];

    /// <summary>The service's version string, shown in the admin (node metadata).</summary>
    public string? Version { get; set; }

    /// <summary><c>http</c> (the admin's embedded registry, default) or <c>zookeeper</c>.</summary>
    [Required]
    public string Registry { get; set; } = HttpRegistry;

    /// <summary>
    /// Registry address: the admin's base URL for <c>http</c> (e.g. <c>http://admin:9000</c>), the ZooKeeper connect
    /// string for <c>zookeeper</c> (<c>zk1:2181,zk2:2181[/chroot]</c>, a <c>zookeeper://</c> prefix is allowed).
    /// </summary>
    [Required]
    public string Address { get; set; } = "";

    /// <summary>Registry token (<c>Gatehouse:Admin:RegistryToken</c> on the admin).</summary>
    public string? Token { get; set; }

    /// <summary>
    /// <c>zookeeper</c> only: the requested ZooKeeper session timeout (default 10 s; the server clamps it). After a crash
    /// the node's znode, and so its routing, lives this long; a clean stop deletes it at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ZooKeeperSessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Host the gateway reaches this node at; default: the bound host, or the machine name when bound to all interfaces.</summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>Port the gateway reaches this node at; default: the port Kestrel actually bound (known after start).</summary>
    [Range(0, 65535)]
    public int AdvertisedPort { get; set; }

    /// <summary>Path the gateway's health checks call, e.g. <c>/healthz</c>.</summary>
    public string? HealthPath { get; set; }

    /// <summary>Free-form metadata stored with the node.</summary>
    public Dictionary<string, string> Metadata { get; set; } = [];

    /// <summary>Report the app's endpoints as the service's APIs (default true).</summary>
    public bool ReportApis { get; set; } = true;

    /// <summary>
    /// How often the lease is renewed (default 5 s; keep it well under the admin's lease TTL, 15 s by default). With
    /// <c>zookeeper</c> the session is the lease; this is how often the SDK checks its znode is still there.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After deregistering on shutdown, how long the node waits at least before it may stop, so gateways apply the
    /// removal first (requests that still arrive are served). Default 2 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PropagationDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest shutdown waits for in-flight requests to finish after deregistering (default 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan DrainPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First retry delay when the registry is unreachable; doubles per attempt (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest retry delay (default 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
