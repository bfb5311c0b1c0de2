using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>Adds <c>plugin_packages</c>: uploaded plugin packages, one row per version (docs/plugins.md, "Deploying through the admin").</summary>
/// <remarks>Names must match <see cref="AdminDbContext"/>. The content is a BLOB on SQLite and <c>bytea</c> on PostgreSQL.</remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261207000000_AddPluginPackages")]
internal sealed class AddPluginPackages : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "plugin_packages",
            columns: table => new
            {
                name = table.Column<string>(nullable: false),
                sha256 = table.Column<string>(nullable: false),
                size = table.Column<long>(nullable: false),
                factories_json = table.Column<string>(nullable: false),
                assembly = table.Column<string>(nullable: false),
                content = table.Column<byte[]>(nullable: false),
                uploaded_at = table.Column<DateTimeOffset>(nullable: false),
                uploaded_by = table.Column<string>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_plugin_packages", x => new { x.name, x.sha256 }));
        migrationBuilder.CreateIndex(name: "ix_plugin_packages_sha256", table: "plugin_packages", column: "sha256");
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("plugin_packages");
    }
}
