using System.ComponentModel.DataAnnotations;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// Settings of the Dubbo provider mirror, bound from <c>Gatehouse:Admin:Dubbo</c>: which ZooKeeper holds Dubbo's
/// registry and how often the admin looks at it.
/// </summary>
public sealed class DubboDiscoveryOptions
{
    /// <summary>
    /// The ZooKeeper ensemble Dubbo providers register in, <c>host:port[,host:port][/chroot]</c> (a <c>zookeeper://</c>
    /// prefix is allowed). Unset: the ZooKeeper registry's (<c>Gatehouse:Admin:ZooKeeper:ConnectString</c>); both unset:
    /// no Dubbo discovery.
    /// </summary>
    public string? ConnectString { get; set; }

    /// <summary>Dubbo's registry root, <c>/dubbo</c> unless the providers set another registry group.</summary>
    [Required]
    [RegularExpression("^/[^/]+(/[^/]+)*$", ErrorMessage = "Root must be an absolute ZooKeeper path such as /dubbo")]
    public string Root { get; set; } = "/dubbo";

    /// <summary>Requested session timeout of the mirror's own session (default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the mirror gathers provider changes before it writes (default 200 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How often the mirror reads the services' <c>discovery</c> blocks from the store (default 2 s): a service that
    /// declares discovery, through any admin, gets its providers within this time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every group is written again even when nothing seems changed (default 30 s): retries failed writes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);
}
