using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Gatehouse.Admin.Storage.Migrations;

/// <summary>Adds <c>users</c>, <c>api_tokens</c> and <c>sessions</c> (see <c>docs/architecture.md</c>, "Admin users and roles").</summary>
/// <remarks>Names must match <see cref="UserModel"/>. The older <c>admin_tokens</c> table stays: its token is the bootstrap admin's.</remarks>
[DbContext(typeof(AdminDbContext))]
[Migration("20261125120000_AddUsers")]
internal sealed class AddUsers : Migration
{
    /// <inheritdoc/>
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "users",
            columns: table => new
            {
                name = table.Column<string>(nullable: false),
                password_hash = table.Column<string>(nullable: false),
                role = table.Column<string>(nullable: false),
                disabled = table.Column<bool>(nullable: false),
                failed_logins = table.Column<int>(nullable: false),
                locked_until = table.Column<DateTimeOffset>(nullable: true),
                created_at = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_users", x => x.name));

        migrationBuilder.CreateTable(
            name: "api_tokens",
            columns: table => new
            {
                id = table.Column<string>(nullable: false),
                user_name = table.Column<string>(nullable: false),
                name = table.Column<string>(nullable: false),
                prefix = table.Column<string>(nullable: false),
                hash = table.Column<string>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
                last_used_at = table.Column<DateTimeOffset>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_api_tokens", x => x.id));
        migrationBuilder.CreateIndex("ix_api_tokens_hash", "api_tokens", "hash", unique: true);
        migrationBuilder.CreateIndex("ix_api_tokens_user_name", "api_tokens", "user_name");

        migrationBuilder.CreateTable(
            name: "sessions",
            columns: table => new
            {
                id_hash = table.Column<string>(nullable: false),
                user_name = table.Column<string>(nullable: false),
                csrf_token = table.Column<string>(nullable: false),
                created_at = table.Column<DateTimeOffset>(nullable: false),
                expires_at_ms = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_sessions", x => x.id_hash));
        migrationBuilder.CreateIndex("ix_sessions_user_name", "sessions", "user_name");
    }

    /// <inheritdoc/>
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("sessions");
        migrationBuilder.DropTable("api_tokens");
        migrationBuilder.DropTable("users");
    }
}
