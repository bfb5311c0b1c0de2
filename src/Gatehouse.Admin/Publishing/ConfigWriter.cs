using Gatehouse.Admin.Api;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Gatehouse.Admin.Publishing;

/// <summary>What a write ended in: a new version, a problem (404/409/428) or the validation errors that stopped it.</summary>
/// <remarks>
/// <see cref="Unchanged"/>: the change found nothing to do, so no version was published (<see cref="Version"/> is the current one).
/// <see cref="Preview"/>: a dry run passed every check; it is the config that would have been published (secrets sealed for
/// transport, as in a snapshot), and nothing was saved.
/// </remarks>
internal sealed record WriteResult(long Version, ProblemHttpResult? Problem = null, ValidationProblem? Invalid = null, bool Unchanged = false,
    GatewayConfig? Preview = null);

/// <summary>Serialises writes within this process so the version numbers of one admin never race each other.</summary>
internal sealed class WriteGate
{
    /// <summary>Held for the whole load-change-validate-save sequence of one write.</summary>
    public SemaphoreSlim Semaphore { get; } = new(1, 1);
}

/// <summary>
/// The only way config changes: load the group, apply the change to its entities, build the whole would-be
/// <see cref="GatewayConfig"/>, validate it, and only then save the change together with a new version row.
/// </summary>
/// <remarks>
/// :: Step 1: load the group (404 when missing). :: Step 2: apply the change, which may refuse with a problem (e.g. a
/// stale revision). :: Step 3: build and validate the config as version = latest + 1; any error rejects the write and
/// nothing is saved. :: Step 4: save the entities and the version row in one <c>SaveChanges</c>, which is one
/// transaction. Of two admins committing the same version number of the group, the second fails on the version key,
/// saves nothing and runs steps 1–4 again on the committed state (up to <see cref="CommitAttempts"/> times), so
/// concurrent writes through different admins are applied one after the other and none overwrites another.
/// The write's audit row (<see cref="AuditTarget"/>, with the entry's JSON before and after) is part of that same
/// <c>SaveChanges</c>, so a refused or failed write leaves no audit row and a published version always has one.
/// App secrets are validated in plaintext but stored and published only encrypted (<see cref="AppSecretVault"/>).
/// </remarks>
internal sealed class ConfigWriter(AdminDbContext db, WriteGate gate, TimeProvider time, IConfigPublished published, CurrentActor actor,
    AppSecretVault vault, SnapshotDocumentCache snapshots, GatewayHeartbeatWriter heartbeats, Plugins.PluginFactoryCache pluginFactories)
{
    /// <summary>
    /// How often one write is tried when other admins keep committing first. Each lost race means another write got
    /// through, so the group makes progress; the bound only keeps a request from spinning under extreme contention.
    /// </summary>
    internal const int CommitAttempts = 8;

    /// <summary>Applies <paramref name="change"/> to the group and publishes the result as a new version if it validates.</summary>
    /// <param name="dryRun">Run every step and check but save nothing (no version, no audit row, no push); a result that
    /// would have been published comes back as <see cref="WriteResult.Preview"/>.</param>
    public async Task<WriteResult> WriteAsync(string group, AuditTarget audit, string summary, Func<GroupDraft, ProblemHttpResult?> change,
        CancellationToken cancellationToken, bool dryRun = false)
    {
        await gate.Semaphore.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // :: Step 1 (on PostgreSQL under the group's write lock, held until the commit or the rollback)
                await using var transaction = dryRun ? null : await BeginGroupWriteAsync(group, cancellationToken);
                var draft = await LoadAsync(group, cancellationToken);
                if (draft is null)
                {
                    return new WriteResult(0, Problem: Problems.NotFound($"group '{group}' does not exist"));
                }

                // :: Step 2 (the entry is read first: the change edits the tracked entities in place, so it is its only "before")
                var before = audit.EntityKind == AuditKinds.Group
                    ? ConfigSerializer.Serialize(vault.SealForTransport(draft.Build(draft.CurrentVersion), out _))
                    : draft.EntryJson(audit.EntityKind, audit.EntityId);
                var problem = change(draft);
                if (problem is not null)
                {
                    return new WriteResult(0, Problem: await NameWhoChangedAsync(group, audit, problem, cancellationToken));
                }

                if (draft.Unchanged)
                {
                    // Idempotent callers (the registry) say so rather than publish a version identical to the last.
                    return new WriteResult(draft.CurrentVersion, Unchanged: true);
                }

                var result = await CommitAsync(draft, audit, before, summary, dryRun, cancellationToken);
                if (result is not null)
                {
                    if (result is { Problem: null, Invalid: null, Preview: null })
                    {
                        // Pushed only once committed: a gateway that pulls on the notice must find the version.
                        if (transaction is not null)
                        {
                            await transaction.CommitAsync(cancellationToken);
                        }

                        published.Published(group, result.Version);
                    }

                    return result;
                }

                if (attempt == CommitAttempts)
                {
                    return new WriteResult(0, Problem: Problems.Conflict(
                        $"group '{group}' was changed concurrently {CommitAttempts} times in a row; reload and retry"));
                }

                // Another admin committed this version number first (or the same new entry). Nothing of ours was saved:
                // forget the failed attempt's entities and run the whole change again on what is now committed, so a
                // change that still applies is published and one that no longer does (a stale revision, a name taken
                // meanwhile) answers as it would have without the race.
                db.ChangeTracker.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10) * attempt), cancellationToken);
            }
        }
        catch (SecretKeyMismatchException ex)
        {
            return new WriteResult(0, Problem: TypedResults.Problem(detail: ex.Message, statusCode: StatusCodes.Status500InternalServerError,
                title: "App secret unreadable"));
        }
        finally
        {
            if (dryRun)
            {
                // The change edited tracked entities in place; forgetting them keeps any later save on this context from writing them.
                db.ChangeTracker.Clear();
            }

            gate.Semaphore.Release();
        }
    }

    /// <summary>Creates an empty group and its version 1.</summary>
    public async Task<WriteResult> CreateGroupAsync(string name, CancellationToken cancellationToken)
    {
        var errors = ConfigValidator.Validate(new GatewayConfig { Group = name }, null);
        if (errors.Count > 0)
        {
            return new WriteResult(0, Invalid: Problems.Invalid(errors.Select(e => e with { Entry = "name" }).ToList()));
        }

        await gate.Semaphore.WaitAsync(cancellationToken);
        try
        {
            var lower = name.ToLowerInvariant();
            var existing = await db.Groups.Select(g => g.Name).ToListAsync(cancellationToken);
            if (existing.Any(n => n.ToLowerInvariant() == lower))
            {
                return new WriteResult(0, Problem: Problems.Conflict($"group '{name}' already exists"));
            }

            var group = new GroupEntity { Name = name, Revision = 1, CreatedAt = time.GetUtcNow() };
            db.Groups.Add(group);
            var created = await CommitAsync(new GroupDraft(db, group, [], [], [], 0, [], vault),
                new AuditTarget("group.create", AuditKinds.Group, name), before: null, "create group", dryRun: false, cancellationToken);
            return created switch
            {
                // The commit lost to another admin creating the same group (the name key): it exists now.
                null => new WriteResult(0, Problem: Problems.Conflict($"group '{name}' already exists")),
                { Problem: null, Invalid: null } => Published(name, created),
                _ => created,
            };
        }
        finally
        {
            gate.Semaphore.Release();
        }
    }

    /// <summary>Deletes a group with everything stored for it; false when it does not exist.</summary>
    public async Task<bool> DeleteGroupAsync(string name, CancellationToken cancellationToken)
    {
        await gate.Semaphore.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var last = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == name && !v.Gray).OrderByDescending(v => v.Version)
                .Select(v => v.Snapshot).FirstOrDefaultAsync(cancellationToken);
            var deleted = await db.Groups.Where(g => g.Name == name).ExecuteDeleteAsync(cancellationToken);
            if (deleted == 0)
            {
                return false;
            }

            await db.Services.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);
            await db.OriginMappings.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);
            await db.ServiceSets.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);
            await db.Apps.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);
            await db.ConfigVersions.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);
            await db.GrayConfigs.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);
            await db.GatewayNodes.Where(s => s.Group == name).ExecuteDeleteAsync(cancellationToken);

            // The audit log outlives the group on purpose: it is the record of who removed what.
            db.AuditEntries.Add(NewAuditRow(name, new AuditTarget("group.delete", AuditKinds.Group, name), last, null, null, "delete group"));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            snapshots.Forget(name);
            heartbeats.Forget(name);
            return true;
        }
        finally
        {
            gate.Semaphore.Release();
        }
    }

    /// <summary>
    /// On PostgreSQL, a transaction holding the group's write lock (a transaction-scoped advisory lock): admins sharing the
    /// database then write a group one at a time, in the order they asked, as one admin's <see cref="WriteGate"/> does
    /// for its own requests. Without it, two busy admins race for every version number and the one that keeps losing
    /// can starve. SQLite (null) has one writer at a time anyway; a lost race there is retried by the caller.
    /// </summary>
    private async Task<IDbContextTransaction?> BeginGroupWriteAsync(string group, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql())
        {
            return null;
        }

        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A failed save abandons the whole transaction (the write is run again in a new one), so the savepoint EF would
        // wrap each save in is two round trips for nothing; under CPU contention every round trip to the server counts.
        db.Database.AutoSavepointsEnabled = false;
        try
        {
            // Two-key form: the first key is this application's lock space, so other users of the database do not collide.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({GroupLockSpace}, hashtext({group}))", cancellationToken);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    /// <summary>The first key of the group write locks ("GHWL").</summary>
    private const int GroupLockSpace = 0x4748574C;

    private WriteResult Published(string group, WriteResult result)
    {
        published.Published(group, result.Version);
        return result;
    }

    /// <summary>A new audit row for <paramref name="group"/>, by the <see cref="CurrentActor"/>, stamped now.</summary>
    public AuditEntryEntity NewAuditRow(string group, AuditTarget audit, string? before, string? after, long? version,
        string summary) => new()
    {
        Group = group,
        Actor = actor.Name,
        CreatedAt = time.GetUtcNow(),
        Action = audit.Action,
        EntityKind = audit.EntityKind,
        EntityId = audit.EntityId,
        Before = before,
        After = after,
        Version = version,
        SourceVersion = audit.SourceVersion,
        Summary = summary,
    };

    /// <summary>
    /// For a stale-revision conflict, the same problem naming who last changed the entry and when (from the audit log), so
    /// the caller can tell "changed meanwhile by X"; any other problem as it is.
    /// </summary>
    private async Task<ProblemHttpResult> NameWhoChangedAsync(string group, AuditTarget audit, ProblemHttpResult problem,
        CancellationToken cancellationToken)
    {
        var extensions = problem.ProblemDetails.Extensions;
        if (!Equals(Extension(extensions, "code"), Problems.StaleCode)
            || Extension(extensions, "currentRevision") is not long current
            || Extension(extensions, "givenRevision") is not long given
            || Extension(extensions, "what") is not string what)
        {
            return problem;
        }

        // Audit rows of config writes carry the version they published; login and user rows do not.
        var last = await db.AuditEntries.AsNoTracking()
            .Where(a => a.Group == group && a.EntityKind == audit.EntityKind && a.EntityId == audit.EntityId && a.Version != null)
            .OrderByDescending(a => a.Id).Select(a => new { a.Actor, a.CreatedAt }).FirstOrDefaultAsync(cancellationToken);
        return last is null ? problem : Problems.Stale(what, current, given, last.Actor, last.CreatedAt);
    }

    private static object? Extension(IDictionary<string, object?> extensions, string key) =>
        extensions.TryGetValue(key, out var value) ? value : null;

    private async Task<GroupDraft?> LoadAsync(string group, CancellationToken cancellationToken)
    {
        // The version is read before the entries, never after. Each read sees what is committed at that moment, so a
        // write another admin commits between the reads lands either before the version read (its entries are then
        // seen too) or after it (it then holds version + 1 and our commit fails on the version key and retries).
        // Read the other way round, a write in between is counted in the version but missing from the entries,
        // and our commit would publish a config that silently drops it.
        // Gray versions count too: the group has one version counter, so a normal write after a gray create goes past it.
        var version = await db.ConfigVersions.Where(v => v.Group == group).MaxAsync(v => (long?)v.Version, cancellationToken) ?? 0;
        var entity = await db.Groups.FirstOrDefaultAsync(g => g.Name == group, cancellationToken);
        if (entity is null)
        {
            return null;
        }

        var services = await db.Services.Where(s => s.Group == group).OrderBy(s => s.Position).ToListAsync(cancellationToken);
        var mappings = await db.OriginMappings.Where(s => s.Group == group).OrderBy(s => s.Position).ToListAsync(cancellationToken);
        var sets = await db.ServiceSets.Where(s => s.Group == group).OrderBy(s => s.Position).ToListAsync(cancellationToken);
        var apps = await db.Apps.Where(s => s.Group == group).OrderBy(s => s.Position).ToListAsync(cancellationToken);
        return new GroupDraft(db, entity, services, mappings, sets, version, apps, vault);
    }

    /// <summary>Steps 3 and 4; null when the commit lost the race for the version number (nothing was saved).</summary>
    private async Task<WriteResult?> CommitAsync(GroupDraft draft, AuditTarget audit, string? before, string summary, bool dryRun,
        CancellationToken cancellationToken)
    {
        // :: Step 3 (validated with plaintext secrets, so their rules apply; published sealed for transport)
        var version = draft.CurrentVersion + 1;
        // Uploaded plugins the config names are pinned to a package version first; their factories validate its settings.
        var pinned = await Plugins.PluginPins.ResolveAsync(draft.Build(version), db, pluginFactories, cancellationToken);
        var config = pinned.Config;
        var errors = pinned.Errors.Count > 0 ? pinned.Errors : ConfigValidator.Validate(config, null, pinned.Catalog);
        if (errors.Count > 0)
        {
            return new WriteResult(0, Invalid: Problems.Invalid(errors));
        }

        config = vault.SealForTransport(config, out var sealErrors);
        if (sealErrors.Count > 0)
        {
            return new WriteResult(0, Invalid: Problems.Invalid(sealErrors));
        }

        if (dryRun)
        {
            return new WriteResult(draft.CurrentVersion, Preview: config);
        }

        // :: Step 4
        var snapshot = ConfigSerializer.Serialize(config);
        var checksum = ConfigChecksum.Compute(config);
        db.ConfigVersions.Add(new ConfigVersionEntity
        {
            Group = draft.Group.Name,
            Version = version,
            Checksum = checksum,
            Snapshot = snapshot,
            Actor = actor.Name,
            CreatedAt = time.GetUtcNow(),
            Summary = summary,
        });
        var after = audit.EntityKind == AuditKinds.Group ? snapshot : draft.EntryJson(audit.EntityKind, audit.EntityId);
        db.AuditEntries.Add(NewAuditRow(draft.Group.Name, audit, before, after, version, summary));

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost the race for this version number to another admin's commit (null: the caller retries).
            return null;
        }

        // The pulls the push is about to cause find the body in memory. Kept before the transaction commits, which is
        // harmless: a pull only takes a body of the version the store says is committed.
        snapshots.Put(draft.Group.Name, gray: false, version, checksum, snapshot);

        return new WriteResult(version);
    }
}
