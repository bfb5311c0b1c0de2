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

    private readonly Queue<string> _output = new();
    private Process? _process;

    /// <summary>More redis-server options, e.g. <c>--requirepass secret</c>; <c>{port}</c> is replaced by the port.</summary>
    public string[] ExtraArgs { get; init; } = [];

    /// <summary>True when <see cref="ExtraArgs"/> make the port a TLS port (readiness is then a TCP accept).</summary>
    public bool Tls { get; init; }

    /// <summary>The port; a free one is picked when this is 0 at <see cref="InitializeAsync"/>.</summary>
    public int Port { get; set; }

    public string Address => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public async Task InitializeAsync()
    {
        if (Port == 0)
        {
            Port = FreePort();
        }

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
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "local",
                .. ExtraArgs.Select(a => a.Replace("{port}", Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            _process = Process.Start(info)!;
            _process.OutputDataReceived += (_, e) => Remember(e.Data);
            _process.ErrorDataReceived += (_, e) => Remember(e.Data);
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
                throw new InvalidOperationException($"redis-server did not start on port {Port}: {string.Join(" | ", _output)}");
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

    /// <summary>The process id while running (for tests that kill it with a signal of their own).</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

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

    // The last lines the server printed, for the message when it does not start.
    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 5)
            {
                _output.Dequeue();
            }
        }
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            var buffer = new byte[16];
            if (Tls)
            {
                // A TLS port does not answer plain text; an accepted connection is enough.
                return true;
            }

            await stream.WriteAsync("PING\r\n"u8.ToArray());
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
