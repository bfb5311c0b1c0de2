using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>
/// Adds gray configs (see <c>docs/admin-api.md</c>, "Gray config"): the <c>config_versions.gray</c> flag and the
/// <c>gray_configs</c> table of the active gray config per group.
/// </summary>
/// <remarks>
/// The gray snapshot lives in <c>config_versions</c> so it takes its number from the same (group, version) key as normal
/// versions: a gray create racing a normal write on another admin collides there instead of reusing a number. Existing
/// rows are normal versions, hence the default. Names must match <see cref="AdminDbContext"/>.
/// </remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261123000000_AddGrayConfig")]
internal sealed class AddGrayConfig : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<bool>(name: "gray", table: "config_versions", nullable: false, defaultValue: false);

        migrationBuilder.CreateTable(
            name: "gray_configs",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                version = table.Column<long>(nullable: false),
                nodes_json = table.Column<string>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_gray_configs", x => x.group_name));
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("gray_configs");
        migrationBuilder.DropColumn(name: "gray", table: "config_versions");
    }
}
