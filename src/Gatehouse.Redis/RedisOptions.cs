using System.Globalization;
using System.Net;

namespace Gatehouse.Redis;

/// <summary>Where and how to connect; defaults suit a Redis on the same network as the gateway.</summary>
public sealed class RedisOptions
{
    /// <summary>
    /// <c>host:port</c>, or a comma-separated list tried in order on each (re)connect (a primary and its
    /// standbys behind a failover address, say). Not a cluster: every connection talks to the first that answers.
    /// </summary>
    public string? Address { get; set; }

    public string? Password { get; set; }

    /// <summary>Logical database selected on every connection (SELECT); 0 by default.</summary>
    public int Database { get; set; }

    /// <summary>Multiplexed connections per client; every one pipelines many commands.</summary>
    public int PoolSize { get; set; } = 2;

    /// <summary>TCP connect plus handshake (AUTH, SELECT, PING).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a command may wait for its reply; a later reply is then discarded.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay between reconnect attempts; doubled per failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The endpoints of <see cref="Address"/>; throws <see cref="FormatException"/> naming a bad entry.</summary>
    public IReadOnlyList<DnsEndPoint> ParseEndpoints()
    {
        if (string.IsNullOrWhiteSpace(Address))
        {
            throw new FormatException("Redis address is empty");
        }

        var endpoints = new List<DnsEndPoint>();
        foreach (var part in Address.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            var host = colon > 0 ? part[..colon].Trim('[', ']') : part;
            var port = 6379;
            if (colon > 0 && (!int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            {
                throw new FormatException($"Redis address '{part}' is not host:port");
            }

            endpoints.Add(new DnsEndPoint(host, port));
        }

        return endpoints.Count > 0 ? endpoints : throw new FormatException("Redis address is empty");
    }
}
