using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Gatehouse.Admin.Api;
using Gatehouse.Admin.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Security;

/// <summary>A user's credentials checked: who they are and what they may do.</summary>
/// <param name="Name">The user name (also the audit actor).</param>
/// <param name="Role">The user's role at the time of the request.</param>
/// <param name="CsrfToken">For a cookie session, the token unsafe requests must echo; null for bearer tokens.</param>
internal sealed record AdminPrincipal(string Name, AdminRole Role, string? CsrfToken = null);

/// <summary>What a password login ended in: the user, or null with <see cref="LockedUntil"/> set when the account is locked.</summary>
/// <remarks>
/// A locked account is told apart from the other failures on purpose: an operator locked out needs to know to wait or
/// to ask an admin, not to keep guessing. It tells an attacker only that the name exists after they locked it.
/// </remarks>
internal sealed record LoginOutcome(UserEntity? User, DateTimeOffset? LockedUntil = null);

/// <summary>
/// Users, their password logins (with lockout), console sessions and API tokens. Passwords are hashed with ASP.NET Core
/// Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, versioned format, re-hashed when the format moves on);
/// tokens and session ids are random 256-bit values stored only as SHA-256 hashes (they are not guessable, so a slow
/// hash would buy nothing and cost every request).
/// </summary>
internal sealed partial class UserDirectory(IOptions<AdminOptions> options, TimeProvider time, ILogger<UserDirectory> logger)
{
    /// <summary>The user created at first start; the configured or generated admin token acts as this user.</summary>
    public const string BootstrapUser = "admin";

    /// <summary>Shortest accepted password.</summary>
    public const int MinPasswordLength = 8;

    private static readonly PasswordHasher<UserEntity> Hasher = new();

    // Verified against when the user does not exist, so an unknown name costs the same time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(new UserEntity(), Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>Null when <paramref name="name"/> is a valid user name, else why not.</summary>
    public static string? CheckName(string? name) => name is not null && NamePattern().IsMatch(name)
        ? null
        : "1 to 64 characters: lower-case letters, digits, '.', '_', '-', starting with a letter or digit";

    /// <summary>Null when <paramref name="password"/> is acceptable, else why not.</summary>
    public static string? CheckPassword(string? password) => password is { Length: >= MinPasswordLength and <= 1024 }
        ? null
        : $"{MinPasswordLength} to 1024 characters";

    /// <summary>The stored hash of <paramref name="password"/>.</summary>
    public static string HashPassword(string password) => Hasher.HashPassword(new UserEntity(), password);

    /// <summary>A new random secret (token, session id, CSRF token): 32 bytes, base64url.</summary>
    public static string NewSecret() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>At first start (no users), creates <see cref="BootstrapUser"/> as admin with the configured or a generated (printed) password.</summary>
    public void Bootstrap(AdminDbContext db)
    {
        if (db.Users.Any())
        {
            return;
        }

        var configured = options.Value.BootstrapPassword;
        var password = string.IsNullOrEmpty(configured) ? NewSecret()[..24] : configured;
        db.Users.Add(new UserEntity
        {
            Name = BootstrapUser,
            PasswordHash = HashPassword(password),
            Role = AdminRole.Admin.Name(),
            CreatedAt = time.GetUtcNow(),
        });
        try
        {
            db.SaveChanges();
        }
        catch (DbUpdateException) when (db.Users.AsNoTracking().Any(u => u.Name == BootstrapUser))
        {
            // Another admin process on the same store created it first; theirs is the one that was printed.
            db.ChangeTracker.Clear();
            return;
        }

        if (string.IsNullOrEmpty(configured))
        {
            LogGeneratedPassword(logger, BootstrapUser, password);
        }
    }

    /// <summary>
    /// Checks a password login. No user for every kind of failure (unknown user, wrong password, locked, disabled); only
    /// a lock is told apart (<see cref="LoginOutcome"/>).
    /// </summary>
    /// <remarks>
    /// <para>At most <see cref="AdminOptions.LockoutThreshold"/> password checks per lockout window, however many logins
    /// arrive at once and on however many admin processes share the store. Reading the failure count, checking the
    /// password (tens of milliseconds of PBKDF2) and then writing the count let 26 of 100 concurrent wrong passwords be
    /// checked against a threshold of 5. Now an attempt first reserves a check in the store with one conditional UPDATE
    /// (<c>failed_logins = failed_logins + 1</c> where it is below the threshold and the lock is as it was read), atomic on
    /// SQLite (one writer) and PostgreSQL (the row lock re-evaluates the condition); only an attempt that got one verifies
    /// the password. A failure keeps its reservation as the failure count and locks the user when it finds the window's
    /// checks used up; an attempt that finds them used up while they are still running locks the user itself (so a
    /// check lost to a crash cannot leave the user neither locked nor able to log in); a success resets the count and
    /// lifts a lock set during its check, since it held one of the window's checks.</para>
    /// <para>Every attempt leaves an audit row (<see cref="LoginAudit"/>) naming the user and <paramref name="clientIp"/>: the
    /// log tells which outcome it was, the caller does not.</para>
    /// </remarks>
    public async Task<LoginOutcome> LoginAsync(AdminDbContext db, string? name, string? password, string? clientIp, CancellationToken ct)
    {
        name = name?.Trim().ToLowerInvariant() ?? "";
        password ??= "";
        var now = time.GetUtcNow();
        var user = name.Length == 0 ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, ct);
        LoginCheck check;
        (check, user) = user is null ? (LoginCheck.Unknown, null) : await ReserveCheckAsync(db, user, now, ct);

        // Once a check is reserved its outcome is written whatever the client does: a reservation left behind would
        // count as a failure.
        var write = check == LoginCheck.Reserved ? CancellationToken.None : ct;
        switch (check)
        {
            case LoginCheck.Unknown or LoginCheck.Disabled or LoginCheck.Contended:
                // The same work as a wrong password, so the answer time does not tell whether the user exists.
                Hasher.VerifyHashedPassword(new UserEntity(), DummyHash.Value, password);
                LogLoginFailed(logger, name);
                db.AuditEntries.Add(check == LoginCheck.Unknown
                    ? LoginAudit.Row(name, now, LoginAudit.Failure, clientIp, "unknown user")
                    : LoginAudit.Row(name, now, LoginAudit.Refused, clientIp, check == LoginCheck.Disabled ? "disabled" : "contended"));
                await db.SaveChangesAsync(ct);
                return new LoginOutcome(null);
            case LoginCheck.Locked:
                // No check and no counting while locked: the lock runs its time from when it was set.
                LogLoginRefused(logger, name, "locked");
                db.AuditEntries.Add(LoginAudit.Row(name, now, LoginAudit.Refused, clientIp, "locked"));
                await db.SaveChangesAsync(ct);
                return new LoginOutcome(null, user!.LockedUntil);
            case LoginCheck.LockedNow:
                LogLockedOut(logger, name, user!.LockedUntil!.Value);
                db.AuditEntries.Add(LoginAudit.Row(name, now, LoginAudit.Lockout, clientIp,
                    $"{options.Value.LockoutThreshold} attempts already being checked; locked until {user.LockedUntil.Value:O}"));
                await db.SaveChangesAsync(ct);
                return new LoginOutcome(null, user.LockedUntil);
        }

        var seenLock = user!.LockedUntil;
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            var threshold = options.Value.LockoutThreshold;
            var until = await LockIfUsedUpAsync(db, name, threshold, seenLock, now, write);
            db.AuditEntries.Add(until is { } lockedUntil
                ? LoginAudit.Row(name, now, LoginAudit.Lockout, clientIp, $"wrong password; locked until {lockedUntil:O}")
                : LoginAudit.Row(name, now, LoginAudit.Failure, clientIp, "wrong password"));
            if (until is not null)
            {
                LogLockedOut(logger, name, until.Value);
            }

            await db.SaveChangesAsync(write);
            LogLoginFailed(logger, name);
            return new LoginOutcome(null, until);
        }

        await db.Users.Where(u => u.Name == name)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedLogins, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null), write);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            var rehashed = HashPassword(password);
            await db.Users.Where(u => u.Name == name).ExecuteUpdateAsync(set => set.SetProperty(u => u.PasswordHash, rehashed), write);
        }

        db.AuditEntries.Add(LoginAudit.Row(name, now, LoginAudit.Success, clientIp, null));
        await db.SaveChangesAsync(write);
        user.FailedLogins = 0;
        user.LockedUntil = null;
        return new LoginOutcome(user);
    }

    /// <summary>
    /// Locks <paramref name="name"/> when all of its window's checks are used and the lock is still as it was read
    /// (<paramref name="seenLock"/>), so only one attempt locks; the new lock's end, or null when this one did not lock.
    /// </summary>
    private async Task<DateTimeOffset?> LockIfUsedUpAsync(AdminDbContext db, string name, int threshold, DateTimeOffset? seenLock,
        DateTimeOffset now, CancellationToken ct)
    {
        DateTimeOffset? until = now + options.Value.LockoutDuration;
        var locked = await db.Users
            .Where(u => u.Name == name && u.FailedLogins >= threshold && u.LockedUntil == seenLock)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.LockedUntil, until).SetProperty(u => u.FailedLogins, 0), ct);
        return locked == 1 ? until : null;
    }

    /// <summary>
    /// Reserves one password check for <paramref name="user"/> in the store, or says why not; also returns the user as
    /// last read (read again when the reservation loses a race).
    /// </summary>
    private async Task<(LoginCheck Check, UserEntity? User)> ReserveCheckAsync(AdminDbContext db, UserEntity user, DateTimeOffset now,
        CancellationToken ct)
    {
        var threshold = options.Value.LockoutThreshold;
        var name = user.Name;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            if (user.Disabled)
            {
                return (LoginCheck.Disabled, user);
            }

            if (user.LockedUntil is { } until && until > now)
            {
                return (LoginCheck.Locked, user);
            }

            // Compared for equality with what was read (never ordered: SQLite stores the time as text), so an attempt
            // that read the user unlocked cannot reserve once another has locked it.
            var seenLock = user.LockedUntil;
            var reserved = await db.Users
                .Where(u => u.Name == name && !u.Disabled && u.FailedLogins < threshold && u.LockedUntil == seenLock)
                .ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedLogins, u => u.FailedLogins + 1), ct);
            if (reserved == 1)
            {
                return (LoginCheck.Reserved, user);
            }

            // Every check of the window is taken and still running: those decide, this attempt gets none. It locks the
            // user at once, which is what the checks would end in unless one of them is the right password (a success
            // lifts the lock again).
            if (await LockIfUsedUpAsync(db, name, threshold, seenLock, now, ct) is { } lockedUntil)
            {
                user.LockedUntil = lockedUntil;
                user.FailedLogins = 0;
                return (LoginCheck.LockedNow, user);
            }

            // Another attempt changed the user meanwhile (locked it, reset the count, disabled or deleted it): look again.
            var current = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, ct);
            if (current is null)
            {
                return (LoginCheck.Unknown, null);
            }

            user = current;
        }

        return (LoginCheck.Contended, user);
    }

    /// <summary>What <see cref="ReserveCheckAsync"/> found.</summary>
    private enum LoginCheck
    {
        /// <summary>A check is reserved: verify the password.</summary>
        Reserved,
        Unknown,
        Disabled,
        Locked,

        /// <summary>The window's checks were all taken; this attempt locked the user.</summary>
        LockedNow,

        /// <summary>Lost the race three times in a row (the user changes constantly): refused without a check.</summary>
        Contended,
    }

    /// <summary>Starts a session for <paramref name="user"/>: returns the cookie value (only its hash is stored) and the CSRF token.</summary>
    public async Task<(string SessionId, string CsrfToken, DateTimeOffset Expires)> StartSessionAsync(AdminDbContext db, UserEntity user,
        CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.SessionLifetime;
        var id = NewSecret();
        var csrf = NewSecret();

        // Expired sessions are removed here rather than by a timer: logins are rare and every admin process does them.
        await db.Sessions.Where(s => s.ExpiresAtMs <= now.ToUnixTimeMilliseconds()).ExecuteDeleteAsync(ct);
        db.Sessions.Add(new SessionEntity
        {
            IdHash = AdminTokens.Hash(id),
            UserName = user.Name,
            CsrfToken = csrf,
            CreatedAt = now,
            ExpiresAtMs = expires.ToUnixTimeMilliseconds(),
        });
        await db.SaveChangesAsync(ct);
        return (id, csrf, expires);
    }

    /// <summary>The user of a live session with this cookie value, or null.</summary>
    public async Task<AdminPrincipal?> SessionAsync(AdminDbContext db, string sessionId, CancellationToken ct)
    {
        var hash = AdminTokens.Hash(sessionId);
        var session = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.IdHash == hash, ct);
        if (session is null || session.ExpiresAtMs <= time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return null;
        }

        var user = await ActiveUserAsync(db, session.UserName, ct);
        return user is null ? null : new AdminPrincipal(user.Name, Role(user), session.CsrfToken);
    }

    /// <summary>Ends the session with this cookie value (nothing when it does not exist).</summary>
    public Task EndSessionAsync(AdminDbContext db, string sessionId, CancellationToken ct)
    {
        var hash = AdminTokens.Hash(sessionId);
        return db.Sessions.Where(s => s.IdHash == hash).ExecuteDeleteAsync(ct);
    }

    /// <summary>The user of an API token, or null; the configured/generated admin token is the bootstrap admin's.</summary>
    public async Task<AdminPrincipal?> TokenAsync(AdminDbContext db, AdminTokens adminTokens, string token, CancellationToken ct)
    {
        var hash = AdminTokens.Hash(token);
        string userName;
        if (adminTokens.IsKnownHash(hash))
        {
            userName = BootstrapUser;
        }
        else
        {
            var row = await db.ApiTokens.FirstOrDefaultAsync(t => t.Hash == hash, ct);
            if (row is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (row.LastUsedAt is not { } last || now - last >= TimeSpan.FromMinutes(1))
            {
                row.LastUsedAt = now;
                await db.SaveChangesAsync(ct);
            }

            userName = row.UserName;
        }

        var user = await ActiveUserAsync(db, userName, ct);
        return user is null ? null : new AdminPrincipal(user.Name, Role(user));
    }

    /// <summary>Creates a token for <paramref name="user"/>; the returned token is shown once and never stored.</summary>
    public async Task<(ApiTokenEntity Row, string Token)> CreateTokenAsync(AdminDbContext db, string user, string name, CancellationToken ct)
    {
        var token = "gh_" + NewSecret();
        var row = new ApiTokenEntity
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            UserName = user,
            Name = name,
            Prefix = token[..9],
            Hash = AdminTokens.Hash(token),
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiTokens.Add(row);
        await db.SaveChangesAsync(ct);
        return (row, token);
    }

    /// <summary>The stored role of <paramref name="user"/> (an unknown value reads as viewer: least privilege).</summary>
    public static AdminRole Role(UserEntity user) => AdminRoleExtensions.TryParse(user.Role, out var role) ? role : AdminRole.Viewer;

    private static async Task<UserEntity?> ActiveUserAsync(AdminDbContext db, string name, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, ct);
        return user is null || user.Disabled ? null : user;
    }

    // Warning so it shows under the default log levels: printed once, and the operator must copy it now.
    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "Created user '{User}' (role admin) with a generated password (shown only this once; change it after the first login): {Password}")]
    private static partial void LogGeneratedPassword(ILogger logger, string user, string password);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Failed login for '{User}'")]
    private static partial void LogLoginFailed(ILogger logger, string user);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Refused login for '{User}': {Reason}")]
    private static partial void LogLoginRefused(ILogger logger, string user, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "User '{User}' locked out until {Until} after repeated failed logins")]
    private static partial void LogLockedOut(ILogger logger, string user, DateTimeOffset until);
}
