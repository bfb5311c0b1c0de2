using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>Adds the <c>audit_log</c> table: one row per admin write (see <c>docs/admin-api.md</c>, "Audit log").</summary>
/// <remarks>
/// The generated id needs a provider-specific annotation each (SQLite AUTOINCREMENT, a PostgreSQL identity column);
/// each provider ignores the other's, so this one migration still serves both. Names must match <see cref="AdminDbContext"/>.
/// </remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261122000000_AddAuditLog")]
internal sealed class AddAuditLog : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "audit_log",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                group_name = table.Column<string>(nullable: false),
                actor = table.Column<string>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
                action = table.Column<string>(nullable: false),
                entity_kind = table.Column<string>(nullable: false),
                entity_id = table.Column<string>(nullable: false),
                before_json = table.Column<string>(nullable: true),
                after_json = table.Column<string>(nullable: true),
                version = table.Column<long>(nullable: true),
                source_version = table.Column<long>(nullable: true),
                summary = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_audit_log", x => x.id));

        migrationBuilder.CreateIndex(name: "ix_audit_log_group_id", table: "audit_log", columns: ["group_name", "id"]);
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("audit_log");
}
