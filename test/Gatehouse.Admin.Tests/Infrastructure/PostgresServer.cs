using Microsoft.AspNetCore.Builder;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Gatehouse.Admin.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL 15 server (Debian's packages) on a free loopback port, run as the <c>postgres</c> user
/// because initdb and postgres refuse to run as root. Started once per test run (see <see cref="PostgresCollection"/>),
/// since starting a server costs seconds and a fresh database per admin is enough isolation; stopped by its PID.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private string _directory = "";
    private Process? _server;

    /// <summary>Connection string of a fresh database for one admin.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false";

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("gatehouse-pg-").FullName;
        await RunAsync("chown", ["postgres", _directory]);
        await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDirectory}/initdb", "-D", $"{_directory}/data", "-A", "trust", "-U", "postgres", "--no-sync"]);
        Port = FreePort();
        var start = new ProcessStartInfo("runuser", ["-u", "postgres", "--", $"{BinDirectory}/postgres", "-D", $"{_directory}/data",
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _directory, "-c", "listen_addresses=127.0.0.1", "-F"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _server = Process.Start(start)!;
        _server.BeginErrorReadLine();
        _server.BeginOutputReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The admin settings of a new, empty database of this server, for tests that restart admins on one store.</summary>
    internal async Task<Dictionary<string, string?>> NewStoreSettingsAsync()
    {
        var database = "admin_" + Guid.NewGuid().ToString("N")[..12];
        await CreateDatabaseAsync(database);
        return new Dictionary<string, string?>
        {
            ["Gatehouse:Admin:Provider"] = "postgres",
            ["Gatehouse:Admin:Database"] = ConnectionString(database),
        };
    }

    /// <summary>Starts an admin on a new, empty database of this server.</summary>
    internal async Task<AdminHost> StartAdminAsync(Action<WebApplicationBuilder>? configure = null)
    {
        var database = "admin_" + Guid.NewGuid().ToString("N")[..12];
        await CreateDatabaseAsync(database);
        return await AdminHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Gatehouse:Admin:Provider"] = "postgres",
            ["Gatehouse:Admin:Database"] = ConnectionString(database),
        }, configure: configure);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            // The whole tree (runuser, postgres and its backends): the data is thrown away, so no clean shutdown is needed.
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
            _server.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort() => Gatehouse.Testing.LoopbackPorts.Next();

    private static async Task RunAsync(string file, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {output}");
        }
    }
}

/// <summary>
/// Every test class on PostgreSQL is in this collection, so the run starts one server for all of them.
/// xunit runs a collection's classes one after another; they still run alongside the SQLite classes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
