using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>Adds <c>registry_leases</c>: the embedded registry's heartbeat leases (see <c>docs/architecture.md</c>, "Registry").</summary>
/// <remarks>
/// Times are Unix milliseconds in integer columns, so the sweeper's "expired before now" query is a plain integer
/// comparison on SQLite and PostgreSQL alike. Names must match <see cref="AdminDbContext"/>.
/// </remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261124000000_AddRegistryLeases")]
internal sealed class AddRegistryLeases : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "registry_leases",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                service = table.Column<string>(nullable: false),
                node_id = table.Column<string>(nullable: false),
                state = table.Column<string>(nullable: false),
                expires_at_ms = table.Column<long>(nullable: false),
                expired_at_ms = table.Column<long>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_registry_leases", x => new { x.group_name, x.service, x.node_id }));
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("registry_leases");
}
