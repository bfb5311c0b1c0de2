using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Admin.Storage;

/// <summary>
/// Sets SQLite's own busy timeout on every connection the admin opens, so a writer that finds the database locked by
/// another (a config write, a batch of heartbeats, another admin process on the same file) waits in SQLite's busy
/// handler, which retries within milliseconds, instead of failing into Microsoft.Data.Sqlite's retry loop, which sleeps
/// 150 ms between attempts. Measured as the tail of the config-propagation benchmark (bench/RESULTS.md).
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    /// <summary>How long a statement waits for a lock before it fails with "database is locked".</summary>
    public const int BusyTimeoutMilliseconds = 5000;

    public static readonly SqliteConnectionSetup Instance = new();

    private static readonly string Pragmas = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};";

    /// <inheritdoc/>
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
