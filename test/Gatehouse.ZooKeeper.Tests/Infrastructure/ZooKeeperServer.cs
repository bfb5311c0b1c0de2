using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.ZooKeeper.Tests.Infrastructure;

/// <summary>
/// A throw-away standalone ZooKeeper 3.8 server (Debian's <c>zookeeper</c> package) on a free loopback port with a
/// temp dataDir, started once per test run (see <see cref="ZooKeeperCollection"/>) because a JVM start costs seconds.
/// </summary>
/// <remarks>
/// Java is started directly with the classpath and main class that <c>zkServer.sh start-foreground</c> would exec,
/// so the process we hold is the JVM itself: killing it by PID leaves no orphan. tickTime is 500 ms so sessions may
/// be as short as 1 s; maxSessionTimeout is raised to 60 s so a session can outlive a server restart.
/// </remarks>
public sealed class ZooKeeperServer : IAsyncLifetime
{
    private const string Java = "/usr/bin/java";
    private const string ClassPath = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar";
    private const string MainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private string _directory = "";
    private Process? _server;
    private readonly StringBuilder _output = new();

    public int Port { get; private set; }

    /// <summary>The connect string of this server.</summary>
    public string ConnectString => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("gatehouse-zk-").FullName;
        Port = FreePort();
        var config = string.Join('\n',
            "tickTime=500",
            $"dataDir={_directory}/data",
            $"clientPort={Port}",
            "clientPortAddress=127.0.0.1",
            "maxSessionTimeout=60000",
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,stat,srvr,mntr",
            "");
        await File.WriteAllTextAsync(Path.Combine(_directory, "zoo.cfg"), config);
        await StartAsync();
    }

    /// <summary>Starts the JVM (again, after <see cref="KillAsync"/>) on the same port and dataDir; returns once it answers ruok.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Java,
        [
            $"-Dzookeeper.log.dir={_directory}",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", // faster JVM start; the server has little work here
            "-cp", ClassPath,
            MainClass,
            Path.Combine(_directory, "zoo.cfg"),
        ])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => Append(e.Data);
        _server.ErrorDataReceived += (_, e) => Append(e.Data);
        _server.BeginErrorReadLine();
        _server.BeginOutputReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"ZooKeeper exited with {_server.ExitCode}: {Output}");
            }

            if (await FourLetterWordAsync("ruok") == "imok")
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"ZooKeeper did not answer ruok within {StartTimeout}: {Output}");
    }

    /// <summary>SIGKILL of the JVM: no clean shutdown, as in a crash. Returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        _server = null;
    }

    /// <summary>Sends a four-letter-word command and returns the answer ("" when the server does not answer).</summary>
    public async Task<string> FourLetterWordAsync(string command)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
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

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
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

    public async Task DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreePort() => Gatehouse.Testing.LoopbackPorts.Next();

    internal static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Every test class against ZooKeeper is in this collection: one server for the run, and classes run one after
/// another, which the tests that kill and restart the server rely on.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ZooKeeperCollection : ICollectionFixture<ZooKeeperServer>
{
    public const string Name = "ZooKeeper";
}
