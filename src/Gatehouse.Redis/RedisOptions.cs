using StackExchange.Redis;

namespace Gatehouse.Redis;

/// <summary>Where and how to connect; defaults suit a Redis on the same network as the gateway.</summary>
public sealed class RedisOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string: <c>host:port</c>, a comma-separated list of servers (a
    /// standalone primary and its replicas, or any nodes of a Redis Cluster, which is discovered from them), and
    /// options such as <c>ssl=true</c>, <c>user=…</c>, <c>password=…</c> or <c>serviceName=…</c> (the servers
    /// are then Sentinels and the primary is the one they name).
    /// </summary>
    public string? Address { get; set; }

    /// <summary>ACL user name (Redis 6+); overrides a <c>user=</c> in <see cref="Address"/>.</summary>
    public string? User { get; set; }

    /// <summary>Overrides a <c>password=</c> in <see cref="Address"/>, so the secret can live elsewhere.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// PEM file of the certificate authority that signed the server's certificate, for <c>ssl=true</c> with a private
    /// CA; without it the server's certificate must chain to a root the machine trusts.
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>Logical database (standalone and Sentinel; a cluster has only 0).</summary>
    public int Database { get; set; }

    /// <summary>TCP connect plus handshake.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a command may wait for its reply.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay between reconnect attempts; grows exponentially up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The client configuration; throws <see cref="FormatException"/> naming what is wrong with
    /// <see cref="Address"/>.
    /// </summary>
    public ConfigurationOptions ToConfiguration()
    {
        if (string.IsNullOrWhiteSpace(Address))
        {
            throw new FormatException("the Redis address is empty");
        }

        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(Address);
        }
        catch (ArgumentException ex)
        {
            // The message names the offending part; the address itself is not repeated, as it may hold a password.
            throw new FormatException($"not a valid Redis configuration string: {ex.Message}", ex);
        }

        if (configuration.EndPoints.Count == 0)
        {
            throw new FormatException("the Redis configuration string names no server");
        }

        if (!string.IsNullOrEmpty(User))
        {
            configuration.User = User;
        }

        if (!string.IsNullOrEmpty(Password))
        {
            configuration.Password = Password;
        }

        if (!string.IsNullOrEmpty(CaFile))
        {
            if (!File.Exists(CaFile))
            {
                throw new FormatException($"the Redis CA file '{CaFile}' does not exist");
            }

            configuration.TrustIssuer(CaFile);
        }

        if (Database != 0)
        {
            configuration.DefaultDatabase = Database;
        }

        var commandMs = Milliseconds(CommandTimeout);
        configuration.ConnectTimeout = Milliseconds(ConnectTimeout);
        configuration.AsyncTimeout = commandMs;
        configuration.SyncTimeout = commandMs;

        // Keep reconnecting in the background instead of failing the start: the gateway serves with its fallback
        // meanwhile.
        configuration.AbortOnConnectFail = false;

        // While disconnected a command fails at once instead of waiting in a backlog: the request is decided by
        // the fallback without a timeout per request.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        // Timeouts of async commands are found by the heartbeat, once a second by default: with a command timeout
        // of a few hundred ms a request could wait several times that. Half the timeout keeps the overshoot
        // bounded; never under 100 ms, since each beat also scans every pending command.
        configuration.HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(commandMs / 2, 100, 1000));
        configuration.ReconnectRetryPolicy = new ExponentialRetry(Milliseconds(ReconnectDelay), Milliseconds(MaxReconnectDelay));
        configuration.ClientName ??= "gatehouse";
        return configuration;
    }

    private static int Milliseconds(TimeSpan value) => (int)Math.Clamp(value.TotalMilliseconds, 1, int.MaxValue);
}
