using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>Adds <c>apps</c>: signing callers per group, secrets encrypted at rest (see docs/architecture.md, "App secrets").</summary>
/// <remarks>Names must match <see cref="AdminDbContext"/>.</remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261127000000_AddApps")]
internal sealed class AddApps : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "apps",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                app_key = table.Column<string>(nullable: false),
                position = table.Column<int>(nullable: false),
                json = table.Column<string>(nullable: false),
                secret_cipher = table.Column<string>(nullable: true),
                revision = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_apps", x => new { x.group_name, x.app_key }));
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("apps");
    }
}
