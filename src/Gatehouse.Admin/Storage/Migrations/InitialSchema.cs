using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>The first schema of the admin store, written by hand (see <c>docs/admin-api.md</c>, "Storage").</summary>
/// <remarks>
/// Column types are left to the provider's default mapping of each CLR type (TEXT/INTEGER on SQLite, text/bigint/
/// timestamptz on PostgreSQL), so one migration serves both. Names must match <see cref="AdminDbContext"/>.
/// </remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261121220000_InitialSchema")]
internal sealed class InitialSchema : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "groups",
            columns: table => new
            {
                name = table.Column<string>(nullable: false),
                revision = table.Column<long>(nullable: false),
                global_policy_json = table.Column<string>(nullable: true),
                created_at = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_groups", x => x.name));

        migrationBuilder.CreateTable(
            name: "services",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                name = table.Column<string>(nullable: false),
                position = table.Column<int>(nullable: false),
                json = table.Column<string>(nullable: false),
                revision = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_services", x => new { x.group_name, x.name }));

        migrationBuilder.CreateTable(
            name: "origin_mappings",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                id = table.Column<string>(nullable: false),
                position = table.Column<int>(nullable: false),
                json = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_origin_mappings", x => new { x.group_name, x.id }));

        migrationBuilder.CreateTable(
            name: "service_sets",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                tag = table.Column<string>(nullable: false),
                position = table.Column<int>(nullable: false),
                json = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_service_sets", x => new { x.group_name, x.tag }));

        migrationBuilder.CreateTable(
            name: "config_versions",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                version = table.Column<long>(nullable: false),
                checksum = table.Column<string>(nullable: false),
                snapshot = table.Column<string>(nullable: false),
                actor = table.Column<string>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
                summary = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_config_versions", x => new { x.group_name, x.version }));

        migrationBuilder.CreateTable(
            name: "gateway_nodes",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                id = table.Column<string>(nullable: false),
                loc = table.Column<string>(nullable: true),
                control_address = table.Column<string>(nullable: true),
                version = table.Column<long>(nullable: false),
                checksum = table.Column<string>(nullable: true),
                last_seen = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_gateway_nodes", x => new { x.group_name, x.id }));

        migrationBuilder.CreateTable(
            name: "admin_tokens",
            columns: table => new
            {
                hash = table.Column<string>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_admin_tokens", x => x.hash));
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "admin_tokens", "gateway_nodes", "config_versions", "service_sets", "origin_mappings", "services", "groups" })
        {
            migrationBuilder.DropTable(table);
        }
    }
}
