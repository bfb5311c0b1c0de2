using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary><c>/api/v1/users</c>: user management, for admins only (reads too: the list says who can do what).</summary>
/// <remarks>
/// Every write adds an audit row (kind <c>user</c>, no group) naming the admin who made it; passwords and tokens are
/// never in it. The last enabled admin cannot be demoted, disabled or deleted, so the store never locks everyone out.
/// </remarks>
internal static class UserEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAdminRole(AdminRole.Admin);
        users.MapGet("", ListAsync);
        users.MapPost("", CreateAsync);
        users.MapGet("/{name}", GetAsync);
        users.MapPatch("/{name}", UpdateAsync);
        users.MapDelete("/{name}", DeleteAsync);
        users.MapPut("/{name}/password", SetPasswordAsync);
        users.MapPost("/{name}/unlock", UnlockAsync);
        users.MapGet("/{name}/tokens", (string name, AdminDbContext db, CancellationToken ct) => TokenCalls.ListAsync(db, name, ct));
        users.MapPost("/{name}/tokens", (string name, CreateTokenRequest body, HttpContext context, AdminDbContext db, UserDirectory directory,
            TimeProvider time, CancellationToken ct) => TokenCalls.CreateAsync(db, directory, time, context.Principal()!, name, body, ct));
        users.MapDelete("/{name}/tokens/{id}", (string name, string id, HttpContext context, AdminDbContext db, TimeProvider time,
            CancellationToken ct) => TokenCalls.RevokeAsync(db, time, context.Principal()!, name, id, ct));
    }

    private static async Task<IResult> ListAsync(AdminDbContext db, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rows = await db.Users.AsNoTracking().OrderBy(u => u.Name).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(u => UserResource.From(u, now)).ToList());
    }

    private static async Task<IResult> GetAsync(string name, AdminDbContext db, TimeProvider time, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, ct);
        return user is null ? NotFound(name) : TypedResults.Ok(UserResource.From(user, time.GetUtcNow()));
    }

    private static async Task<IResult> CreateAsync(CreateUserRequest body, HttpContext context, AdminDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (UserDirectory.CheckName(body.Name) is { } badName)
        {
            errors["name"] = [badName];
        }

        if (UserDirectory.CheckPassword(body.Password) is { } badPassword)
        {
            errors["password"] = [badPassword];
        }

        if (!AdminRoleExtensions.TryParse(body.Role, out var role))
        {
            errors["role"] = ["one of admin, operator, viewer"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await db.Users.AnyAsync(u => u.Name == body.Name, ct))
        {
            return Problems.Conflict($"user '{body.Name}' already exists");
        }

        var now = time.GetUtcNow();
        var user = new UserEntity { Name = body.Name!, PasswordHash = UserDirectory.HashPassword(body.Password!), Role = role.Name(), CreatedAt = now };
        var resource = UserResource.From(user, now);
        db.Users.Add(user);
        db.AuditEntries.Add(UserAudit.Row(context.Principal()!.Name, now, "user.create", user.Name, null, resource,
            $"created user '{user.Name}' ({resource.Role})"));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict($"user '{body.Name}' already exists");
        }

        return TypedResults.Created($"/api/v1/users/{user.Name}", resource);
    }

    private static async Task<IResult> UpdateAsync(string name, UpdateUserRequest body, HttpContext context, AdminDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var role = AdminRole.Viewer;
        if (body.Role is not null && !AdminRoleExtensions.TryParse(body.Role, out role))
        {
            return Problems.InvalidField("role", "one of admin, operator, viewer");
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return NotFound(name);
        }

        var now = time.GetUtcNow();
        var before = UserResource.From(user, now);
        var losesAdmin = UserDirectory.Role(user) == AdminRole.Admin && !user.Disabled
            && ((body.Role is not null && role != AdminRole.Admin) || body.Disabled == true);
        if (losesAdmin && await IsLastAdminAsync(db, name, ct))
        {
            return Problems.Conflict($"user '{name}' is the last enabled admin");
        }

        if (body.Role is not null)
        {
            user.Role = role.Name();
        }

        if (body.Disabled is { } disabled)
        {
            user.Disabled = disabled;
        }

        var after = UserResource.From(user, now);
        db.AuditEntries.Add(UserAudit.Row(context.Principal()!.Name, now, "user.update", name, before, after,
            $"user '{name}': role {after.Role}{(after.Disabled ? ", disabled" : "")}"));
        await db.SaveChangesAsync(ct);
        if (user.Disabled)
        {
            await db.Sessions.Where(s => s.UserName == name).ExecuteDeleteAsync(ct);
        }

        return TypedResults.Ok(after);
    }

    private static async Task<IResult> DeleteAsync(string name, HttpContext context, AdminDbContext db, TimeProvider time, CancellationToken ct)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return NotFound(name);
        }

        if (UserDirectory.Role(user) == AdminRole.Admin && !user.Disabled && await IsLastAdminAsync(db, name, ct))
        {
            return Problems.Conflict($"user '{name}' is the last enabled admin");
        }

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.ApiTokens.Where(t => t.UserName == name).ExecuteDeleteAsync(ct);
        await db.Sessions.Where(s => s.UserName == name).ExecuteDeleteAsync(ct);
        db.Users.Remove(user);
        db.AuditEntries.Add(UserAudit.Row(context.Principal()!.Name, now, "user.delete", name, UserResource.From(user, now), null,
            $"deleted user '{name}'"));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> SetPasswordAsync(string name, PasswordRequest body, HttpContext context, AdminDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        if (UserDirectory.CheckPassword(body.NewPassword) is { } invalid)
        {
            return Problems.InvalidField("newPassword", invalid);
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return NotFound(name);
        }

        user.PasswordHash = UserDirectory.HashPassword(body.NewPassword!);
        db.AuditEntries.Add(UserAudit.Row(context.Principal()!.Name, time.GetUtcNow(), "user.password", name, null, null,
            $"set the password of '{name}'"));
        await db.SaveChangesAsync(ct);

        // A reset password ends the user's sessions: whoever knew the old one is logged out.
        await db.Sessions.Where(s => s.UserName == name).ExecuteDeleteAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> UnlockAsync(string name, HttpContext context, AdminDbContext db, TimeProvider time, CancellationToken ct)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return NotFound(name);
        }

        var now = time.GetUtcNow();
        var before = UserResource.From(user, now);
        user.LockedUntil = null;
        user.FailedLogins = 0;
        var after = UserResource.From(user, now);
        db.AuditEntries.Add(UserAudit.Row(context.Principal()!.Name, now, "user.unlock", name, before, after, $"unlocked '{name}'"));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(after);
    }

    private static async Task<bool> IsLastAdminAsync(AdminDbContext db, string except, CancellationToken ct) =>
        !await db.Users.AnyAsync(u => u.Name != except && u.Role == "admin" && !u.Disabled, ct);

    private static IResult NotFound(string name) => Problems.NotFound($"user '{name}' does not exist");
}
