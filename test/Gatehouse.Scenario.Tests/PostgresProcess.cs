using System.Diagnostics;
using System.Globalization;
using Gatehouse.Testing;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// A throw-away PostgreSQL 15 server (Debian's packages) on a free loopback port, for scenarios whose admins share one
/// database. Run as the <c>postgres</c> user (initdb and postgres refuse root), with fsync off since the data is thrown
/// away; readiness and databases through the server's own client tools, so the tests need no driver. Stopped by PID.
/// </summary>
internal sealed class PostgresProcess : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private readonly string _directory;
    private readonly Process _server;

    private PostgresProcess(string directory, Process server, int port)
    {
        _directory = directory;
        _server = server;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The admin's connection string for <paramref name="database"/>.</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}";

    public static async Task<PostgresProcess> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-scenario-pg-").FullName;
        await RunAsync("chown", "postgres", directory);
        await RunAsync("runuser", "-u", "postgres", "--", $"{BinDirectory}/initdb", "-D", $"{directory}/data", "-A", "trust", "-U", "postgres", "--no-sync");
        var port = GatehouseProcess.FreePort();
        var start = new ProcessStartInfo("runuser")
        {
            ArgumentList =
            {
                "-u", "postgres", "--", $"{BinDirectory}/postgres", "-D", $"{directory}/data", "-p", port.ToString(CultureInfo.InvariantCulture),
                "-k", directory, "-c", "listen_addresses=127.0.0.1", "-F",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var server = Process.Start(start)!;
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        var postgres = new PostgresProcess(directory, server, port);
        await Eventually.WaitUntilAsync(async () => await TryRunAsync($"{BinDirectory}/pg_isready", "-h", "127.0.0.1", "-p",
            port.ToString(CultureInfo.InvariantCulture), "-U", "postgres"), "PostgreSQL accepts connections");
        return postgres;
    }

    /// <summary>Creates an empty database.</summary>
    public Task CreateDatabaseAsync(string name) =>
        RunAsync($"{BinDirectory}/createdb", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", name);

    public async ValueTask DisposeAsync()
    {
        // The whole tree (runuser, postgres and its backends): the data is thrown away, so no clean shutdown is needed.
        _server.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
        _server.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var (code, output) = await ExecAsync(file, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} failed ({code}): {output}");
        }
    }

    private static async Task<bool> TryRunAsync(string file, params string[] args) => (await ExecAsync(file, args)).Code == 0;

    private static async Task<(int Code, string Output)> ExecAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
