using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>Adds <c>alert_rules</c> and <c>alerts</c> (the alert history); see docs/architecture.md, "Alerts".</summary>
/// <remarks>Names must match <see cref="AdminDbContext"/>; the generated id carries both providers' annotations (see <see cref="AddAuditLog"/>).</remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261126000000_AddAlerts")]
internal sealed class AddAlerts : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "alert_rules",
            columns: table => new
            {
                group_name = table.Column<string>(nullable: false),
                id = table.Column<string>(nullable: false),
                name = table.Column<string>(nullable: false),
                kind = table.Column<string>(nullable: false),
                service = table.Column<string>(nullable: true),
                api = table.Column<string>(nullable: true),
                node = table.Column<string>(nullable: true),
                threshold = table.Column<double>(nullable: false),
                window_seconds = table.Column<int>(nullable: false),
                min_requests = table.Column<long>(nullable: false),
                for_seconds = table.Column<int>(nullable: false),
                cooldown_seconds = table.Column<int>(nullable: false),
                webhook_url = table.Column<string>(nullable: false),
                enabled = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
                updated_at = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_alert_rules", x => new { x.group_name, x.id }));

        migrationBuilder.CreateTable(
            name: "alerts",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                group_name = table.Column<string>(nullable: false),
                rule_id = table.Column<string>(nullable: false),
                rule_name = table.Column<string>(nullable: false),
                kind = table.Column<string>(nullable: false),
                state = table.Column<string>(nullable: false),
                value = table.Column<double>(nullable: false),
                threshold = table.Column<double>(nullable: false),
                detail = table.Column<string>(nullable: false),
                fired_at = table.Column<DateTimeOffset>(nullable: false),
                resolved_at = table.Column<DateTimeOffset>(nullable: true),
                notified_at = table.Column<DateTimeOffset>(nullable: true),
                acked_at = table.Column<DateTimeOffset>(nullable: true),
                acked_by = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_alerts", x => x.id));

        migrationBuilder.CreateIndex(name: "ix_alerts_group_rule", table: "alerts", columns: ["group_name", "rule_id"]);
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("alerts");
        migrationBuilder.DropTable("alert_rules");
    }
}
