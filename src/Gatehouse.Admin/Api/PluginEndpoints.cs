using System.Text.Json;
using Gatehouse.Admin.Plugins;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Plugins;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>An uploaded plugin package version as the API shows it (never its bytes).</summary>
internal sealed record PluginPackageResource(string Name, string Sha256, long Size, IReadOnlyList<string> Factories, string Assembly,
    DateTimeOffset UploadedAt, string UploadedBy)
{
    public static PluginPackageResource From(PluginPackageEntity row) => new(row.Name, row.Sha256, row.Size,
        JsonSerializer.Deserialize<string[]>(row.FactoriesJson) ?? [], row.Assembly, row.UploadedAt, row.UploadedBy);
}

/// <summary>A package with its versions, newest first.</summary>
internal sealed record PluginVersionsResource(string Name, IReadOnlyList<PluginPackageResource> Versions);

/// <summary>
/// <c>/api/v1/plugins</c>: plugin packages uploaded for distribution to gateways (docs/plugins.md, "Deploying through the
/// admin"). Everyone with a login reads; only admins upload or delete, since an upload is code the admin itself loads
/// to validate settings, and every gateway then runs. Writes are audited (kind <c>plugin</c>, no group).
/// </summary>
internal static class PluginEndpoints
{
    /// <summary>The audit entity kind of package uploads and deletions; the entity id is the package name.</summary>
    public const string AuditKind = "plugin";

    public static void Map(RouteGroupBuilder api)
    {
        var plugins = api.MapGroup("/plugins").WithTags("Plugins").RequireAdminRole(AdminRole.Viewer, write: AdminRole.Admin);
        // No Accepts metadata: it would make routing skip the endpoint for another content type, which deserves a 400 here.
        plugins.MapPost("", UploadAsync);
        plugins.MapGet("", ListAsync);
        plugins.MapGet("/{name}", GetAsync);
        plugins.MapDelete("/{name}", DeleteAsync);
    }

    private static async Task<IResult> UploadAsync(HttpContext context, string? name, AdminDbContext db, PluginFactoryCache factories,
        CurrentActor actor, TimeProvider time, CancellationToken ct)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not ("application/zip" or "application/octet-stream" or "application/x-zip-compressed"))
        {
            return Problems.InvalidField("body", $"send the package as the body with Content-Type application/zip (got '{mediaType}')");
        }

        var zip = await ReadLimitedAsync(context.Request, factories.MaxBytes, ct);
        if (zip is null)
        {
            return Problems.InvalidField("body", $"the package is larger than {factories.MaxBytes} bytes (Gatehouse:Admin:PluginMaxBytes)");
        }

        if (zip.Length == 0)
        {
            return Problems.InvalidField("body", "the body is empty: send the zip of the plugin's folder");
        }

        if (name is not null && CheckName(name) is { } badName)
        {
            return Problems.InvalidField("name", badName);
        }

        var sha256 = PluginPackage.Sha256(zip);
        var wasLoaded = await db.PluginPackages.AsNoTracking().AnyAsync(p => p.Sha256 == sha256, ct);
        LoadedPlugin loaded;
        try
        {
            loaded = factories.Inspect(zip, name ?? "plugin");
        }
        catch (PluginLoadException ex)
        {
            return Problems.InvalidField("body", ex.Message);
        }

        var refusal = await CheckFactoriesAsync(db, name, loaded, ct);
        if (refusal.Problem is not null)
        {
            if (!wasLoaded)
            {
                factories.Forget(sha256);
            }

            return refusal.Problem;
        }

        name = refusal.Name!;
        var existing = await db.PluginPackages.FirstOrDefaultAsync(p => p.Name == name && p.Sha256 == sha256, ct);
        if (existing is not null)
        {
            // The same bytes again: nothing new to store, but this version becomes the latest again (how an operator goes
            // back to an older version for the configs written from now on).
            existing.UploadedAt = time.GetUtcNow();
            existing.UploadedBy = actor.Name;
            var again = PluginPackageResource.From(existing);
            var reAudit = UserAudit.Row(actor.Name, existing.UploadedAt, "plugin.upload", name, null, again,
                $"uploaded plugin package '{name}' {sha256[..12]} again: the latest version once more");
            reAudit.EntityKind = AuditKind;
            db.AuditEntries.Add(reAudit);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(again);
        }

        var row = new PluginPackageEntity
        {
            Name = name,
            Sha256 = sha256,
            Size = zip.Length,
            FactoriesJson = JsonSerializer.Serialize(loaded.FactoryNames),
            Assembly = loaded.Assembly,
            Content = zip,
            UploadedAt = time.GetUtcNow(),
            UploadedBy = actor.Name,
        };
        var resource = PluginPackageResource.From(row);
        db.PluginPackages.Add(row);
        var audit = UserAudit.Row(actor.Name, row.UploadedAt, "plugin.upload", name, null, resource,
            $"uploaded plugin package '{name}' {sha256[..12]} ({string.Join(", ", loaded.FactoryNames)})");
        audit.EntityKind = AuditKind;
        db.AuditEntries.Add(audit);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/plugins/{name}", resource);
    }

    /// <summary>The package name to store under, or the 400 that refuses the upload.</summary>
    /// <remarks>
    /// A filter name must lead to one package: none may be a built-in's, and none may be provided by the latest version
    /// of another package (a new version of the same package may add or drop names freely).
    /// </remarks>
    private static async Task<(string? Name, IResult? Problem)> CheckFactoriesAsync(AdminDbContext db, string? name, LoadedPlugin loaded,
        CancellationToken ct)
    {
        if (name is null)
        {
            if (loaded.FactoryNames.Length != 1)
            {
                return (null, Problems.InvalidField("name",
                    $"the package has {loaded.FactoryNames.Length} filters ({string.Join(", ", loaded.FactoryNames)}); name it with ?name="));
            }

            name = loaded.FactoryNames[0];
        }

        foreach (var factory in loaded.FactoryNames)
        {
            if (PluginCatalog.BuiltIn.Names.Contains(factory, StringComparer.OrdinalIgnoreCase))
            {
                return (null, Problems.InvalidField("body", $"the filter name '{factory}' is taken by a built-in filter"));
            }
        }

        var others = (await db.PluginPackages.AsNoTracking().Where(p => p.Name != name)
            .Select(p => new { p.Name, p.FactoriesJson, p.UploadedAt }).ToListAsync(ct))
            .GroupBy(p => p.Name).Select(g => g.OrderByDescending(p => p.UploadedAt).First());
        foreach (var other in others)
        {
            var taken = (JsonSerializer.Deserialize<string[]>(other.FactoriesJson) ?? [])
                .Intersect(loaded.FactoryNames, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
            if (taken is not null)
            {
                return (null, Problems.InvalidField("body", $"the filter name '{taken}' is provided by plugin package '{other.Name}'"));
            }
        }

        return (name, null);
    }

    private static async Task<IResult> ListAsync(AdminDbContext db, CancellationToken ct)
    {
        var rows = await Metadata(db.PluginPackages.AsNoTracking()).ToListAsync(ct);
        return TypedResults.Ok(rows.GroupBy(r => r.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new { Latest = PluginPackageResource.From(g.OrderByDescending(r => r.UploadedAt).First()), Versions = g.Count() })
            .Select(p => new
            {
                p.Latest.Name,
                p.Latest.Sha256,
                p.Latest.Size,
                p.Latest.Factories,
                p.Latest.Assembly,
                p.Latest.UploadedAt,
                p.Latest.UploadedBy,
                p.Versions,
            }).ToList());
    }

    private static async Task<IResult> GetAsync(string name, AdminDbContext db, CancellationToken ct)
    {
        var rows = await Metadata(db.PluginPackages.AsNoTracking().Where(p => p.Name == name)).ToListAsync(ct);
        return rows.Count == 0
            ? Problems.NotFound($"no plugin package '{name}' was uploaded")
            : TypedResults.Ok(new PluginVersionsResource(name,
                rows.OrderByDescending(r => r.UploadedAt).Select(PluginPackageResource.From).ToList()));
    }

    /// <summary>Deletes every version of <paramref name="name"/>, or the one <paramref name="sha256"/> names; 409 while pinned.</summary>
    private static async Task<IResult> DeleteAsync(string name, string? sha256, AdminDbContext db, PluginFactoryCache factories,
        CurrentActor actor, TimeProvider time, CancellationToken ct)
    {
        var rows = await Metadata(db.PluginPackages.AsNoTracking().Where(p => p.Name == name && (sha256 == null || p.Sha256 == sha256)))
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return Problems.NotFound(sha256 is null
                ? $"no plugin package '{name}' was uploaded"
                : $"plugin package '{name}' has no version {sha256}");
        }

        var pinnedBy = await PluginUse.PinnedByAsync(db, name, rows.Select(r => r.Sha256).ToHashSet(StringComparer.Ordinal), ct);
        if (pinnedBy.Count > 0)
        {
            return Problems.Conflict($"plugin package '{name}' is pinned by {string.Join(", ", pinnedBy)}; publish configs that no longer name it first");
        }

        var hashes = rows.Select(r => r.Sha256).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.PluginPackages.Where(p => p.Name == name && hashes.Contains(p.Sha256)).ExecuteDeleteAsync(ct);
        var audit = UserAudit.Row(actor.Name, time.GetUtcNow(), "plugin.delete", name, rows.Select(PluginPackageResource.From).ToList(), null,
            $"deleted plugin package '{name}' ({rows.Count} version(s))");
        audit.EntityKind = AuditKind;
        db.AuditEntries.Add(audit);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        foreach (var hash in hashes)
        {
            factories.Forget(hash);
        }

        return TypedResults.NoContent();
    }

    /// <summary>Every column but the content.</summary>
    private static IQueryable<PluginPackageEntity> Metadata(IQueryable<PluginPackageEntity> query) => query.Select(p => new PluginPackageEntity
    {
        Name = p.Name,
        Sha256 = p.Sha256,
        Size = p.Size,
        FactoriesJson = p.FactoriesJson,
        Assembly = p.Assembly,
        UploadedAt = p.UploadedAt,
        UploadedBy = p.UploadedBy,
    });

    private static string? CheckName(string name) =>
        name.Length is >= 1 and <= 64 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            ? null
            : "must be 1 to 64 lower case letters, digits or '-'";

    /// <summary>The whole body, or null when it is larger than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadLimitedAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
