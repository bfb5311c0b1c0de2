using System.Diagnostics;
using System.Globalization;

namespace Gatehouse.Redis.Tests.Infrastructure;

/// <summary>
/// A Sentinel-managed primary: a primary, one replica and one Sentinel (quorum 1) watching them as <c>mymaster</c>,
/// with short timeouts so that a killed primary is replaced in a few seconds.
/// </summary>
public sealed class RedisSentinelSet : IAsyncLifetime
{
    public const string ServiceName = "mymaster";

    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-redis-sentinel-").FullName;
    private Process? _sentinel;

    public RedisServer Primary { get; } = new();

    public RedisServer Replica { get; private set; } = null!;

    public int SentinelPort { get; private set; }

    /// <summary>The configuration string a client uses: the Sentinel's address and the service name.</summary>
    public string Address => $"127.0.0.1:{SentinelPort},serviceName={ServiceName}";

    public async Task InitializeAsync()
    {
        await Primary.InitializeAsync();
        Replica = new RedisServer { ExtraArgs = ["--replicaof", "127.0.0.1", Primary.Port.ToString(CultureInfo.InvariantCulture)] };
        await Replica.InitializeAsync();
        await RedisCli.WaitForAsync(Replica.Port, info => info.Contains("master_link_status:up", StringComparison.Ordinal),
            "replica in sync", TimeSpan.FromSeconds(30), "info", "replication");

        SentinelPort = RedisServer.FreePort();
        var config = Path.Combine(_dir, "sentinel.conf");
        await File.WriteAllTextAsync(config, $"""
            port {SentinelPort}
            bind 127.0.0.1
            dir {_dir}
            sentinel monitor {ServiceName} 127.0.0.1 {Primary.Port} 1
            sentinel down-after-milliseconds {ServiceName} 1000
            sentinel failover-timeout {ServiceName} 5000
            sentinel parallel-syncs {ServiceName} 1

            """);
        var info = new ProcessStartInfo(RedisServer.Executable, [config, "--sentinel"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _dir,
        };
        _sentinel = Process.Start(info)!;
        _sentinel.BeginOutputReadLine();
        _sentinel.BeginErrorReadLine();

        // A failover needs the Sentinel to know the replica, which it learns from the primary's INFO.
        await RedisCli.WaitForAsync(SentinelPort, replicas => replicas.Contains(Replica.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            "sentinel knows the replica", TimeSpan.FromSeconds(30), "sentinel", "replicas", ServiceName);
    }

    /// <summary>The port of the primary the Sentinel names now.</summary>
    public async Task<int> CurrentPrimaryPortAsync()
    {
        var answer = await RedisCli.RunAsync(SentinelPort, "sentinel", "get-master-addr-by-name", ServiceName);
        var lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return int.Parse(lines[1], CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (_sentinel is { HasExited: false })
        {
            _sentinel.Kill();
            await _sentinel.WaitForExitAsync();
        }

        _sentinel?.Dispose();
        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
