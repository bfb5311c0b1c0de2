using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin;

/// <summary>Settings of the admin service, bound from <c>Gatehouse:Admin</c>.</summary>
public sealed class AdminOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string Section = "Gatehouse:Admin";

    /// <summary>Key of the control secret shared with gateways (outside the admin section: both sides read it).</summary>
    public const string ControlSecretKey = "Gatehouse:ControlSecret";

    /// <summary>
    /// Key of the control secrets still accepted during a rotation (a list, outside the admin section: gateways read it
    /// too). Gateway calls signed with one are accepted; nothing is signed or sealed with them.
    /// </summary>
    public const string PreviousControlSecretsKey = "Gatehouse:PreviousControlSecrets";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    [Required]
    [AllowedValues("sqlite", "postgres")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Connection string; for SQLite the directory of the file is created when missing.</summary>
    [Required]
    public string Database { get; set; } = "Data Source=./data/gatehouse.db";

    /// <summary>Fixed admin API token; when unset one is generated at first start and printed once.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Password of the user <c>admin</c> created at first start (when there are no users); when unset one is generated
    /// and printed once. Ignored once users exist.
    /// </summary>
    public string? BootstrapPassword { get; set; }

    /// <summary>
    /// Largest plugin package accepted by <c>POST /api/v1/plugins</c>, in bytes (default 16 MiB); the same bound applies
    /// to what a package extracts to, times four.
    /// </summary>
    [Range(1024, 1L << 30)]
    public long PluginMaxBytes { get; set; } = 16L << 20;

    /// <summary>Consecutive failed logins that lock a user (default 5).</summary>
    [Range(1, 1000)]
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>How long a locked user's logins are refused (default 15 min); an admin can unlock earlier.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a console login session lasts from login (default 8 h); logout ends it earlier.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// A gateway node whose last heartbeat is at most this old is live and gets config pushes; older ones are left to
    /// their timed pull (default 30 s, several of the gateways' 5 s heartbeats).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan GatewayLiveWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Token that service nodes (the SDK) present on the registry endpoints; it is good for nothing else. When unset
    /// only admin tokens are accepted there.
    /// </summary>
    public string? RegistryToken { get; set; }

    /// <summary>A registered node whose last heartbeat (or registration) is older than this is expired: no traffic (default 15 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RegistryLeaseTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an expired node stays in the config (marked, without traffic) before it is removed (default 60 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RegistryExpiredGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the admin looks for expired leases (default 2 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan RegistrySweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one config push to one gateway node may take before it counts as failed (default 2 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan GatewayPushTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Mirroring of a ZooKeeper registry into the store (off unless a connect string is set).</summary>
    [ValidateObjectMembers]
    public ZooKeeperMirrorOptions ZooKeeper { get; set; } = new();

    /// <summary>Discovery of Dubbo providers from Dubbo's ZooKeeper layout (<c>services[].discovery.dubbo</c>).</summary>
    [ValidateObjectMembers]
    public Registry.DubboDiscoveryOptions Dubbo { get; set; } = new();

    /// <summary>
    /// Master key that encrypts app secrets at rest: base64 of 32 random bytes. When unset, the key file
    /// (<see cref="SecretKeyFile"/>) is used, and generated at first start. Every admin sharing a store needs the same
    /// key; losing it makes the stored app secrets unreadable (they must be set again).
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// Key file used when <see cref="SecretKey"/> is unset; default <c>secret-key</c> next to the SQLite file, or
    /// <c>./data/secret-key</c> on PostgreSQL. Created with mode 0600 when missing.
    /// </summary>
    public string? SecretKeyFile { get; set; }

    /// <summary>
    /// Master keys that sealed app secrets before <see cref="SecretKey"/> (base64, 32 bytes each): stored secrets under
    /// them still open, and <c>POST /api/v1/security/rotate-secret-key</c> re-seals them under the current key, after
    /// which they can be removed. The key file is not rotated: a rotation sets <see cref="SecretKey"/>.
    /// </summary>
    public List<string> PreviousSecretKeys { get; set; } = [];
}

/// <summary>Settings of the ZooKeeper mirror, bound from <c>Gatehouse:Admin:ZooKeeper</c>.</summary>
public sealed class ZooKeeperMirrorOptions
{
    /// <summary>
    /// The ensemble to mirror, <c>host:port[,host:port][/chroot]</c> (a <c>zookeeper://</c> prefix is allowed). Unset:
    /// no mirror.
    /// </summary>
    public string? ConnectString { get; set; }

    /// <summary>Requested session timeout of the admin's own session (default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the mirror gathers ZooKeeper changes before it writes (default 200 ms), so a deploy of many nodes is a
    /// few config versions, not one per node.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How often the mirror compares ZooKeeper with the store even without a change (default 30 s): picks up a group
    /// an operator created after its nodes appeared, and retries writes that failed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="AdminOptions"/> at start (source-generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
}
