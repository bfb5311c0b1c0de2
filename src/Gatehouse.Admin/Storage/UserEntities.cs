using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Storage;

/// <summary>An admin user: password hash (ASP.NET Core Identity's <c>PasswordHasher</c> format), role and lockout state.</summary>
internal sealed class UserEntity
{
    /// <summary>Lower-case login name; the key.</summary>
    public string Name { get; set; } = "";

    public string PasswordHash { get; set; } = "";

    /// <summary><c>admin</c>, <c>operator</c> or <c>viewer</c>.</summary>
    public string Role { get; set; } = "viewer";

    public bool Disabled { get; set; }

    /// <summary>Failed password logins since the last success or lockout.</summary>
    public int FailedLogins { get; set; }

    /// <summary>Logins are refused until this moment; null when not locked.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A user's API token, stored only as its SHA-256 hash; the prefix identifies it in lists.</summary>
internal sealed class ApiTokenEntity
{
    /// <summary>Generated id, used to revoke it.</summary>
    public string Id { get; set; } = "";

    public string UserName { get; set; } = "";

    /// <summary>What the token is for, as its owner named it.</summary>
    public string Name { get; set; } = "";

    /// <summary>The token's first characters, enough to recognise it, too few to use it.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the token's UTF-8 bytes; unique.</summary>
    public string Hash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Updated at most once a minute, so reads do not turn into a write per request.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>A console login session; the cookie holds a random id whose SHA-256 hash is the key.</summary>
internal sealed class SessionEntity
{
    public string IdHash { get; set; } = "";

    public string UserName { get; set; } = "";

    /// <summary>The anti-CSRF token unsafe cookie-authenticated requests must echo in <c>X-Gatehouse-Csrf</c>.</summary>
    public string CsrfToken { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Unix milliseconds; an integer so expired sessions are deleted with one comparison on either store.</summary>
    public long ExpiresAtMs { get; set; }
}

/// <summary>Table mapping of the user tables (created by <see cref="Migrations.AddUsers"/>; names must match it).</summary>
internal static class UserModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserEntity>(e =>
        {
            e.ToTable("users");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.PasswordHash).HasColumnName("password_hash");
            e.Property(x => x.Role).HasColumnName("role");
            e.Property(x => x.Disabled).HasColumnName("disabled");
            e.Property(x => x.FailedLogins).HasColumnName("failed_logins");
            e.Property(x => x.LockedUntil).HasColumnName("locked_until");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<ApiTokenEntity>(e =>
        {
            e.ToTable("api_tokens");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.UserName).HasColumnName("user_name");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Prefix).HasColumnName("prefix");
            e.Property(x => x.Hash).HasColumnName("hash");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.LastUsedAt).HasColumnName("last_used_at");
            e.HasIndex(x => x.Hash).IsUnique().HasDatabaseName("ix_api_tokens_hash");
            e.HasIndex(x => x.UserName).HasDatabaseName("ix_api_tokens_user_name");
        });

        modelBuilder.Entity<SessionEntity>(e =>
        {
            e.ToTable("sessions");
            e.HasKey(x => x.IdHash);
            e.Property(x => x.IdHash).HasColumnName("id_hash");
            e.Property(x => x.UserName).HasColumnName("user_name");
            e.Property(x => x.CsrfToken).HasColumnName("csrf_token");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ExpiresAtMs).HasColumnName("expires_at_ms");
            e.HasIndex(x => x.UserName).HasDatabaseName("ix_sessions_user_name");
        });
    }
}
