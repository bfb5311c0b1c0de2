using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.ZooKeeper.Tests.Infrastructure;

/// <summary>
/// A throw-away 3-server ZooKeeper ensemble (Debian's <c>zookeeper</c> package): three JVMs on loopback, each with
/// its own free client, quorum and election ports, dataDir and <c>myid</c>, started once per test run (see
/// <see cref="ZooKeeperEnsembleCollection"/>).
/// </summary>
/// <remarks>
/// As in <see cref="ZooKeeperServer"/>, java is started directly (the classpath and main class
/// <c>zkServer.sh start-foreground</c> would exec), so each PID held is the JVM and killing it leaves no orphan.
/// Heaps are small (three JVMs share the box). tickTime is 500 ms with initLimit 10 and syncLimit 5, so an election
/// and a follower's resync finish within seconds; maxSessionTimeout is 60 s. Ready means every member answers
/// <c>srvr</c> as leader or follower and exactly one is the leader.
/// </remarks>
public sealed class ZooKeeperEnsemble : IAsyncLifetime
{
    public const int Size = 3;

    private const string Java = "/usr/bin/java";
    private const string ClassPath = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar";
    private const string MainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Member[] _members = new Member[Size];
    private string _directory = "";

    /// <summary>The client ports, by member index (0..2; the member's myid is index + 1).</summary>
    public IReadOnlyList<int> ClientPorts => [.. _members.Select(m => m.ClientPort)];

    /// <summary>All three servers, in member order.</summary>
    public string ConnectString => string.Join(',', _members.Select(m => $"127.0.0.1:{m.ClientPort}"));

    /// <summary>The connect string of one member.</summary>
    public string ServerOf(int index) => $"127.0.0.1:{_members[index].ClientPort}";

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("gatehouse-zk-ensemble-").FullName;
        for (var i = 0; i < Size; i++)
        {
            _members[i] = new Member(i + 1, ZooKeeperServer.FreePort(), ZooKeeperServer.FreePort(), ZooKeeperServer.FreePort(),
                Path.Combine(_directory, $"zk{i + 1}"));
        }

        var quorum = _members.Select(m => $"server.{m.Id}=127.0.0.1:{m.QuorumPort}:{m.ElectionPort}").ToArray();
        foreach (var member in _members)
        {
            Directory.CreateDirectory(Path.Combine(member.Directory, "data"));
            await File.WriteAllTextAsync(Path.Combine(member.Directory, "data", "myid"), ZooKeeperServer.Format(member.Id));
            var config = string.Join('\n', new[]
            {
                "tickTime=500",
                "initLimit=10",
                "syncLimit=5",
                $"dataDir={member.Directory}/data",
                $"clientPort={member.ClientPort}",
                "clientPortAddress=127.0.0.1",
                "maxSessionTimeout=60000",
                "admin.enableServer=false",
                "4lw.commands.whitelist=ruok,stat,srvr,mntr",
            }.Concat(quorum)) + "\n";
            await File.WriteAllTextAsync(Path.Combine(member.Directory, "zoo.cfg"), config);
        }

        foreach (var member in _members)
        {
            Launch(member);
        }

        await WaitServingAsync();
    }

    /// <summary>The index of the current leader (srvr says <c>Mode: leader</c>), or -1 when none does.</summary>
    public async Task<int> LeaderAsync()
    {
        for (var i = 0; i < Size; i++)
        {
            if (await ModeAsync(i) == "leader")
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The member's <c>Mode:</c> line from srvr ("leader", "follower"), or "" while it does not serve.</summary>
    public async Task<string> ModeAsync(int index)
    {
        foreach (var line in (await FourLetterWordAsync(_members[index].ClientPort, "srvr")).Split('\n'))
        {
            if (line.StartsWith("Mode: ", StringComparison.Ordinal))
            {
                return line["Mode: ".Length..].Trim();
            }
        }

        return "";
    }

    /// <summary>SIGKILL of one member's JVM, as in a crash. Returns once the process is gone.</summary>
    public async Task KillAsync(int index)
    {
        var member = _members[index];
        if (member.Process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        member.Process?.Dispose();
        member.Process = null;
    }

    /// <summary>Starts a killed member again (same ports and dataDir) and waits until the ensemble serves with all three.</summary>
    public async Task RestartAsync(int index)
    {
        if (_members[index].Process is null)
        {
            Launch(_members[index]);
        }

        await WaitServingAsync();
    }

    /// <summary>Waits until every running member serves and exactly one is the leader.</summary>
    public async Task WaitServingAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var member in _members)
            {
                if (member.Process is { HasExited: true } exited)
                {
                    throw new InvalidOperationException($"ZooKeeper {member.Id} exited with {exited.ExitCode}: {member.Output}");
                }
            }

            var leaders = 0;
            var serving = 0;
            for (var i = 0; i < Size; i++)
            {
                if (_members[i].Process is null)
                {
                    continue;
                }

                var mode = await ModeAsync(i);
                leaders += mode == "leader" ? 1 : 0;
                serving += mode is "leader" or "follower" ? 1 : 0;
            }

            if (leaders == 1 && serving == _members.Count(m => m.Process is not null))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The ZooKeeper ensemble did not serve within {StartTimeout}: "
            + string.Join("\n---\n", _members.Select(m => $"zk{m.Id}: {m.Output}")));
    }

    private void Launch(Member member)
    {
        var start = new ProcessStartInfo(Java,
        [
            $"-Dzookeeper.log.dir={member.Directory}",
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", // faster JVM start; the servers have little work here
            "-cp", ClassPath,
            MainClass,
            Path.Combine(member.Directory, "zoo.cfg"),
        ])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => member.Append(e.Data);
        process.ErrorDataReceived += (_, e) => member.Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        member.Process = process;
    }

    /// <summary>Sends a four-letter-word command to a client port; "" when nothing answers.</summary>
    public static async Task<string> FourLetterWordAsync(int port, string command)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            return "";
        }
    }

    public async Task DisposeAsync()
    {
        for (var i = 0; i < Size; i++)
        {
            await KillAsync(i);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Member(int id, int clientPort, int quorumPort, int electionPort, string directory)
    {
        private readonly StringBuilder _output = new();

        public int Id => id;

        public int ClientPort => clientPort;

        public int QuorumPort => quorumPort;

        public int ElectionPort => electionPort;

        public string Directory => directory;

        public Process? Process { get; set; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}

/// <summary>Test classes against the ensemble: one ensemble for the run; classes that kill members run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ZooKeeperEnsembleCollection : ICollectionFixture<ZooKeeperEnsemble>
{
    public const string Name = "ZooKeeper ensemble";
}
