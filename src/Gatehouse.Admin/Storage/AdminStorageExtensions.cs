using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Storage;

/// <summary>Registers the admin store on the configured provider and prepares it at start.</summary>
internal static class AdminStorageExtensions
{
    /// <summary>Provider name of SQLite (the default).</summary>
    public const string Sqlite = "sqlite";
    /// <summary>Provider name of PostgreSQL.</summary>
    public const string Postgres = "postgres";

    /// <summary>Registers <see cref="AdminDbContext"/> on the provider <see cref="AdminOptions.Provider"/> names.</summary>
    public static IServiceCollection AddAdminStorage(this IServiceCollection services)
    {
        services.AddDbContext<AdminDbContext>((provider, db) =>
        {
            var options = provider.GetRequiredService<IOptions<AdminOptions>>().Value;
            if (options.Provider == Postgres)
            {
                db.UseNpgsql(options.Database);
            }
            else
            {
                db.UseSqlite(options.Database).AddInterceptors(SqliteConnectionSetup.Instance);
            }

            // The migrations are written by hand and carry no model snapshot, so EF would always see "pending model
            // changes" and refuse to migrate; the schema is kept in step with the model by review and the tests instead.
            db.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        });
        return services;
    }

    /// <summary>Creates the SQLite file's directory when needed, applies pending migrations, and puts a SQLite file in WAL mode.</summary>
    public static void PrepareDatabase(AdminDbContext db, AdminOptions options)
    {
        if (options.Provider != Postgres)
        {
            var dataSource = new SqliteConnectionStringBuilder(options.Database).DataSource;
            if (!string.IsNullOrEmpty(dataSource) && dataSource != ":memory:")
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }
            }
        }

        db.Database.Migrate();
        if (options.Provider != Postgres && new SqliteConnectionStringBuilder(options.Database).DataSource is { Length: > 0 } file
            && file != ":memory:")
        {
            // Write-ahead log: gateway pulls and API reads no longer wait for a config write or a batch of heartbeats,
            // and a commit appends to the log instead of rewriting pages through a rollback journal. The mode is stored
            // in the file, so every later connection (and another admin process on the same file) uses it. The file must
            // be on a local disk: the log's index is shared memory.
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode = WAL;");
        }
    }
}
