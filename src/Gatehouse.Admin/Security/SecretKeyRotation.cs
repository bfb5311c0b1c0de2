using System.Text.Json;
using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Security;

/// <summary>
/// Re-seals every stored app secret under the current master key, so the previous keys
/// (<see cref="AdminOptions.PreviousSecretKeys"/>) can be removed; and reports at start how many rows still need it.
/// </summary>
/// <remarks>
/// All or nothing: the new values are written in one transaction, each row only if it still holds the value that was
/// read (a compare-and-set in SQL), so a secret another admin changed meanwhile aborts the whole rotation (409) rather
/// than being overwritten with the old one. One audit row names the actor and the count. Published snapshots are
/// sealed under the control secret, not the master key, so no config version is made and gateways see nothing.
/// </remarks>
internal sealed partial class SecretKeyRotation(AdminDbContext db, AppSecretVault vault, WriteGate gate, TimeProvider time,
    ILogger<SecretKeyRotation> logger)
{
    /// <summary>Audit action of a rotation.</summary>
    public const string AuditAction = "secretKey.rotate";

    /// <summary>Audit entity kind of security operations (no group).</summary>
    public const string AuditKind = "security";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Re-seals what is not under the current key; the outcome says how many rows, or why nothing changed.</summary>
    public async Task<RotationResult> RotateAsync(string actor, CancellationToken cancellationToken)
    {
        await gate.Semaphore.WaitAsync(cancellationToken);
        try
        {
            var rows = await db.Apps.AsNoTracking().Where(a => a.SecretCipher != null)
                .Select(a => new { a.Group, a.AppKey, a.SecretCipher }).ToListAsync(cancellationToken);
            var keyId = vault.KeyId;
            var changes = new List<(string Group, string AppKey, string Old, string New)>();
            foreach (var row in rows)
            {
                if (KeyIdOf(row.SecretCipher!) == keyId)
                {
                    continue;
                }

                // Throws SecretKeyMismatchException for a row no configured key opens: nothing has been written yet.
                var secret = vault.Decrypt(row.Group, row.AppKey, row.SecretCipher!);
                changes.Add((row.Group, row.AppKey, row.SecretCipher!, vault.Encrypt(row.Group, row.AppKey, secret)));
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            foreach (var (group, appKey, old, sealedNew) in changes)
            {
                var updated = await db.Apps.Where(a => a.Group == group && a.AppKey == appKey && a.SecretCipher == old)
                    .ExecuteUpdateAsync(set => set.SetProperty(a => a.SecretCipher, sealedNew), cancellationToken);
                if (updated != 1)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    return new RotationResult(0, keyId, $"the secret of app '{appKey}' in group '{group}' changed during the rotation; nothing was re-sealed, run it again");
                }
            }

            db.AuditEntries.Add(new AuditEntryEntity
            {
                Group = "",
                Actor = actor,
                CreatedAt = time.GetUtcNow(),
                Action = AuditAction,
                EntityKind = AuditKind,
                EntityId = "secretKey",
                After = JsonSerializer.Serialize(new { resealed = changes.Count, keyId }, Json),
                Summary = $"re-sealed {changes.Count} stored app secret(s) under the master key {keyId}",
            });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            Log.Rotated(logger, changes.Count, keyId, actor);
            return new RotationResult(changes.Count, keyId, null);
        }
        finally
        {
            gate.Semaphore.Release();
        }
    }

    /// <summary>Logs at start how many stored secrets are under the current, a previous, or no configured master key.</summary>
    public void ReportAtStart()
    {
        var rows = db.Apps.AsNoTracking().Where(a => a.SecretCipher != null).Select(a => new { a.Group, a.AppKey, a.SecretCipher }).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        int current = 0, previous = 0, unknown = 0;
        foreach (var row in rows)
        {
            switch (vault.Classify(row.Group, row.AppKey, row.SecretCipher!))
            {
                case StoredKey.Current: current++; break;
                case StoredKey.Previous: previous++; break;
                default: unknown++; break;
            }
        }

        if (previous > 0)
        {
            Log.UnderPrevious(logger, previous, rows.Count, vault.KeyId);
        }
        else
        {
            Log.AllCurrent(logger, current, vault.KeyId);
        }

        if (unknown > 0)
        {
            Log.UnderUnknown(logger, unknown);
        }
    }

    private static string? KeyIdOf(string stored) =>
        Core.Security.SecretEnvelope.TryReadKeyId(stored, out var id) ? id : null;

    private static partial class Log
    {
        [LoggerMessage(EventId = 70, Level = LogLevel.Warning,
            Message = "{Count} of {Total} stored app secrets are still sealed under a previous master key (current key id {KeyId}); "
                + "POST /api/v1/security/rotate-secret-key re-seals them, then Gatehouse:Admin:PreviousSecretKeys can be removed")]
        public static partial void UnderPrevious(ILogger logger, int count, int total, string keyId);

        [LoggerMessage(EventId = 71, Level = LogLevel.Information,
            Message = "All {Count} stored app secrets are sealed under the current master key (key id {KeyId}); 0 under a previous key")]
        public static partial void AllCurrent(ILogger logger, int count, string keyId);

        [LoggerMessage(EventId = 72, Level = LogLevel.Error,
            Message = "{Count} stored app secrets open with none of the configured master keys (Gatehouse:Admin:SecretKey or the key file, "
                + "Gatehouse:Admin:PreviousSecretKeys); writes to their groups fail until the key is restored or the secrets are set again")]
        public static partial void UnderUnknown(ILogger logger, int count);

        [LoggerMessage(EventId = 73, Level = LogLevel.Information, Message = "Re-sealed {Count} stored app secrets under the master key {KeyId} (by {Actor})")]
        public static partial void Rotated(ILogger logger, int count, string keyId, string actor);
    }
}

/// <summary>Outcome of <see cref="SecretKeyRotation.RotateAsync"/>: <see cref="Conflict"/> is set when nothing was written.</summary>
internal sealed record RotationResult(int Resealed, string KeyId, string? Conflict);
