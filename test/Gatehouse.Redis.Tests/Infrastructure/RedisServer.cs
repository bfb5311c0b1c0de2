using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Redis.Tests.Infrastructure;

/// <summary>
/// A throw-away redis-server (Debian's package) on a free loopback port, no persistence, stopped by its PID.
/// DEBUG is enabled for loopback clients so tests can make the server slow on purpose (DEBUG SLEEP).
/// Tests may stop it and start it again on the same port to act out an outage and a restart.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    public const string Executable = "/usr/bin/redis-server";

    private Process? _process;

    /// <summary>More redis-server options, e.g. <c>--requirepass secret</c>.</summary>
    public string[] ExtraArgs { get; init; } = [];

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public async Task InitializeAsync()
    {
        Port = FreePort();
        await StartAsync();
    }

    /// <summary>Starts the server on <see cref="Port"/> and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install the redis-server package (scripts/test.sh does).");
        }

        var info = new ProcessStartInfo(Executable,
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "local", .. ExtraArgs])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            _process = Process.Start(info)!;
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            while (!_process.HasExited && DateTime.UtcNow < deadline)
            {
                if (await AcceptsAsync())
                {
                    return;
                }

                await Task.Delay(50);
            }

            // The port can still be held for a moment after a kill; try again until the deadline.
            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"redis-server did not start on port {Port}");
            }

            _process.Dispose();
            await Task.Delay(200);
        }
    }

    /// <summary>Kills the server (an outage, not a clean shutdown) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>SIGSTOP or SIGCONT: a server that keeps its connections open but answers nothing, then wakes.</summary>
    public async Task SignalAsync(bool pause)
    {
        using var kill = Process.Start("kill", [pause ? "-STOP" : "-CONT", _process!.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await SignalAsync(pause: false); // harmless when it is running; a test that paused it may have failed midway
        }

        await StopAsync();
    }

    public static int FreePort() => Gatehouse.Testing.LoopbackPorts.Next();

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return read > 0 && buffer[0] is (byte)'+' or (byte)'-'; // -NOAUTH also means it is up
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }
}

/// <summary>Tests that share one server (and may not stop it).</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis-server";
}
