using System.Text.Json;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;

namespace Gatehouse.Admin.Api;

/// <summary>A user as the API shows it (never the password hash).</summary>
internal sealed record UserResource(string Name, string Role, bool Disabled, bool Locked, DateTimeOffset? LockedUntil, int FailedLogins,
    DateTimeOffset CreatedAt)
{
    public static UserResource From(UserEntity user, DateTimeOffset now) => new(user.Name, UserDirectory.Role(user).Name(), user.Disabled,
        user.LockedUntil is { } until && until > now, user.LockedUntil, user.FailedLogins, user.CreatedAt);
}

/// <summary>An API token as lists show it: never the token itself, only its first characters.</summary>
internal sealed record TokenResource(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt)
{
    public static TokenResource From(ApiTokenEntity row) => new(row.Id, row.Name, row.Prefix, row.CreatedAt, row.LastUsedAt);
}

/// <summary>A token just created: the only response that carries <see cref="Token"/>.</summary>
internal sealed record CreatedTokenResource(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, string Token);

/// <summary>Body of <c>POST /api/v1/auth/login</c>.</summary>
internal sealed record LoginRequest(string? User, string? Password);

/// <summary>Who is calling; <see cref="CsrfToken"/> only for a console session (the value unsafe requests echo).</summary>
internal sealed record MeResource(string User, string Role, string AuthenticatedBy, string? CsrfToken, DateTimeOffset? ExpiresAt = null);

/// <summary>Body of <c>POST /api/v1/users</c>.</summary>
internal sealed record CreateUserRequest(string? Name, string? Password, string? Role);

/// <summary>Body of <c>PATCH /api/v1/users/{name}</c>: the fields given are changed.</summary>
internal sealed record UpdateUserRequest(string? Role, bool? Disabled);

/// <summary>Body of <c>PUT /api/v1/auth/password</c> (own, needs the current one) and <c>PUT /api/v1/users/{name}/password</c>.</summary>
internal sealed record PasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>Body of the token create calls.</summary>
internal sealed record CreateTokenRequest(string? Name);

/// <summary>Audit rows of user management: group-less, kind <c>user</c>, before/after the <see cref="UserResource"/> (no secrets).</summary>
internal static class UserAudit
{
    /// <summary>The entity kind of user management rows.</summary>
    public const string Kind = "user";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static AuditEntryEntity Row(string actor, DateTimeOffset now, string action, string user, object? before, object? after,
        string summary) => new()
    {
        Group = "",
        Actor = actor,
        CreatedAt = now,
        Action = action,
        EntityKind = Kind,
        EntityId = user,
        Before = before is null ? null : JsonSerializer.Serialize(before, Json),
        After = after is null ? null : JsonSerializer.Serialize(after, Json),
        Summary = summary,
    };
}

/// <summary>Audit rows of console logins: one per attempt, the user named as actor, the client IP kept, never the password.</summary>
internal static class LoginAudit
{
    /// <summary>The entity kind of login rows; the entity id is the user name tried.</summary>
    public const string Kind = "login";

    public const string Success = "login.success";

    /// <summary>Unknown user or wrong password.</summary>
    public const string Failure = "login.failure";

    /// <summary>The failure that locked the user.</summary>
    public const string Lockout = "login.lockout";

    /// <summary>Refused without counting: the user is locked or disabled.</summary>
    public const string Refused = "login.refused";

    // A name longer than any valid one can only be noise (or an attempt to bloat the log): it is cut.
    private const int MaxNameLength = 64;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static AuditEntryEntity Row(string user, DateTimeOffset now, string action, string? clientIp, string? reason)
    {
        var name = user.Length > MaxNameLength ? user[..MaxNameLength] : user;
        return new AuditEntryEntity
        {
            // Not a group's change: the empty group, as user management rows have.
            Group = "",
            Actor = name,
            CreatedAt = now,
            Action = action,
            EntityKind = Kind,
            EntityId = name,
            After = JsonSerializer.Serialize(new { ip = clientIp, reason }, Json),
            Summary = reason is null ? $"login from {clientIp ?? "unknown address"}" : $"login refused from {clientIp ?? "unknown address"}: {reason}",
        };
    }
}
