using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>
/// <c>/api/v1/auth</c>: console login sessions and what every user may do to their own account (password, API tokens),
/// whatever their role. See <c>docs/admin-api.md</c>, "Authentication".
/// </summary>
internal static class AuthEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        // Viewer for writes too: these only touch the caller's own session, password and tokens.
        var auth = api.MapGroup("/auth").WithTags("Authentication").RequireAdminRole(AdminRole.Viewer, write: AdminRole.Viewer);
        auth.MapPost("/login", LoginAsync).AllowAdminAnonymous("the login itself; failures count towards lockout");
        auth.MapPost("/logout", LogoutAsync);
        auth.MapGet("/me", MeAsync);
        auth.MapPut("/password", ChangePasswordAsync);
        auth.MapGet("/tokens", (HttpContext context, AdminDbContext db, CancellationToken ct) =>
            TokenCalls.ListAsync(db, context.Principal()!.Name, ct));
        auth.MapPost("/tokens", (CreateTokenRequest body, HttpContext context, AdminDbContext db, UserDirectory users, TimeProvider time,
            CancellationToken ct) => TokenCalls.CreateAsync(db, users, time, context.Principal()!, context.Principal()!.Name, body, ct));
        auth.MapDelete("/tokens/{id}", (string id, HttpContext context, AdminDbContext db, TimeProvider time, CancellationToken ct) =>
            TokenCalls.RevokeAsync(db, time, context.Principal()!, context.Principal()!.Name, id, ct));
    }

    private static async Task<IResult> LoginAsync(LoginRequest body, HttpContext context, AdminDbContext db, UserDirectory users,
        CancellationToken ct)
    {
        var (user, lockedUntil) = await users.LoginAsync(db, body.User, body.Password, context.Connection.RemoteIpAddress?.ToString(), ct);
        if (lockedUntil is { } until)
        {
            return Problems.Locked(body.User?.Trim().ToLowerInvariant() ?? "", until);
        }

        if (user is null)
        {
            // One answer for unknown user, wrong password and disabled: none of them tells an attacker more.
            return Problems.Unauthorized("invalid user name or password, or the user is disabled");
        }

        var (id, csrf, expires) = await users.StartSessionAsync(db, user, ct);
        context.Response.Cookies.Append(AdminAuthentication.SessionCookie, id, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        });
        return TypedResults.Ok(new MeResource(user.Name, UserDirectory.Role(user).Name(), "session", csrf, expires));
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, AdminDbContext db, UserDirectory users, CancellationToken ct)
    {
        if (context.Principal()!.CsrfToken is not null && context.Request.Cookies[AdminAuthentication.SessionCookie] is { } session)
        {
            await users.EndSessionAsync(db, session, ct);
            context.Response.Cookies.Delete(AdminAuthentication.SessionCookie, new CookieOptions { Path = "/" });
        }

        return TypedResults.NoContent();
    }

    private static IResult MeAsync(HttpContext context)
    {
        var me = context.Principal()!;
        return TypedResults.Ok(new MeResource(me.Name, me.Role.Name(), me.CsrfToken is null ? "token" : "session", me.CsrfToken));
    }

    private static async Task<IResult> ChangePasswordAsync(PasswordRequest body, HttpContext context, AdminDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var me = context.Principal()!;
        if (UserDirectory.CheckPassword(body.NewPassword) is { } invalid)
        {
            return Problems.InvalidField("newPassword", invalid);
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == me.Name, ct);
        if (user is null)
        {
            return Problems.NotFound($"user '{me.Name}' does not exist");
        }

        if (new PasswordHasher<UserEntity>().VerifyHashedPassword(user, user.PasswordHash, body.CurrentPassword ?? "")
            == PasswordVerificationResult.Failed)
        {
            return Problems.InvalidField("currentPassword", "is not the current password");
        }

        user.PasswordHash = UserDirectory.HashPassword(body.NewPassword!);
        db.AuditEntries.Add(UserAudit.Row(me.Name, time.GetUtcNow(), "user.password", user.Name, null, null, "changed own password"));
        await db.SaveChangesAsync(ct);

        // Other sessions end: a password change is what a user does when they fear someone else is logged in.
        var current = context.Request.Cookies[AdminAuthentication.SessionCookie] is { } cookie ? AdminTokens.Hash(cookie) : "";
        await db.Sessions.Where(s => s.UserName == user.Name && s.IdHash != current).ExecuteDeleteAsync(ct);
        return TypedResults.NoContent();
    }
}

/// <summary>Token list, create and revoke for one user, shared by the self-service and the admin endpoints.</summary>
internal static class TokenCalls
{
    public static async Task<IResult> ListAsync(AdminDbContext db, string user, CancellationToken ct)
    {
        if (!await db.Users.AnyAsync(u => u.Name == user, ct))
        {
            return Problems.NotFound($"user '{user}' does not exist");
        }

        var rows = await db.ApiTokens.AsNoTracking().Where(t => t.UserName == user).OrderBy(t => t.Id).ToListAsync(ct);
        return TypedResults.Ok(rows.OrderBy(r => r.CreatedAt).Select(TokenResource.From).ToList());
    }

    public static async Task<IResult> CreateAsync(AdminDbContext db, UserDirectory users, TimeProvider time, AdminPrincipal actor,
        string user, CreateTokenRequest body, CancellationToken ct)
    {
        var name = body.Name?.Trim() ?? "";
        if (name.Length is 0 or > 100)
        {
            return Problems.InvalidField("name", "1 to 100 characters: what the token is for");
        }

        if (!await db.Users.AnyAsync(u => u.Name == user, ct))
        {
            return Problems.NotFound($"user '{user}' does not exist");
        }

        db.AuditEntries.Add(UserAudit.Row(actor.Name, time.GetUtcNow(), "token.create", user, null, new { token = name },
            $"created API token '{name}'"));
        var (row, token) = await users.CreateTokenAsync(db, user, name, ct);
        return TypedResults.Created($"/api/v1/users/{user}/tokens/{row.Id}",
            new CreatedTokenResource(row.Id, row.Name, row.Prefix, row.CreatedAt, token));
    }

    public static async Task<IResult> RevokeAsync(AdminDbContext db, TimeProvider time, AdminPrincipal actor, string user, string id,
        CancellationToken ct)
    {
        var row = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id && t.UserName == user, ct);
        if (row is null)
        {
            return Problems.NotFound($"user '{user}' has no token '{id}'");
        }

        db.ApiTokens.Remove(row);
        db.AuditEntries.Add(UserAudit.Row(actor.Name, time.GetUtcNow(), "token.revoke", user, new { token = row.Name, row.Prefix }, null,
            $"revoked API token '{row.Name}'"));
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
