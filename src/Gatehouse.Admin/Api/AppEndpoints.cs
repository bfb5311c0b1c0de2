using Gatehouse.Admin.Publishing;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Admin.Api;

/// <summary>An app as the API shows it: everything but the secret, which is write-only (<c>secretSet</c> says whether there is one).</summary>
internal sealed record AppResource(string AppKey, long Revision, IReadOnlyList<string> Permissions, bool Enabled, string? Description,
    string? SecretRef, bool SecretSet);

/// <summary>
/// Apps of a group (<c>/groups/{group}/apps</c>): the callers that sign requests, with the services and APIs each may
/// call. Each write is a validated write of the group (a new version, an audit row, a push), like a service's.
/// </summary>
/// <remarks>
/// The secret is write-only: no response and no audit row carries it. <c>PUT</c> creates or replaces; a replace that
/// names neither <c>secret</c> nor <c>secretRef</c> keeps the app's current one, so an edit of its permissions need
/// not know the secret.
/// </remarks>
internal static class AppEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var apps = api.MapGroup("/groups/{group}/apps").WithTags("Apps");
        apps.MapGet("", ListAsync);
        apps.MapGet("/{appKey}", GetAsync);
        apps.MapPut("/{appKey}", PutAsync).Accepts<AppConfig>("application/json");
        apps.MapDelete("/{appKey}", DeleteAsync);
    }

    private static Task<Results<Ok<Page<AppResource>>, ProblemHttpResult, ValidationProblem>> ListAsync(
        string group, int? offset, int? limit, AdminDbContext db, CancellationToken ct) =>
        GroupEntries.ListAsync(db, group, offset, limit, db.Apps.AsNoTracking().Where(a => a.Group == group),
            q => q.OrderBy(a => a.Position), ToResource, ct);

    private static async Task<Results<Ok<AppResource>, ProblemHttpResult>> GetAsync(
        string group, string appKey, HttpResponse response, AdminDbContext db, CancellationToken ct)
    {
        var entity = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Group == group && a.AppKey == appKey, ct);
        return entity is null
            ? Problems.NotFound($"app '{appKey}' does not exist in group '{group}'")
            : GroupEntries.WithRevision(response, entity.Revision, ToResource(entity));
    }

    /// <summary>Creates the app (201) or, quoting its revision, replaces it (200).</summary>
    private static async Task<Results<Created<AppResource>, Ok<AppResource>, ProblemHttpResult, ValidationProblem>> PutAsync(
        string group, string appKey, HttpRequest request, ConfigWriter writer, AppSecretVault vault, CancellationToken ct)
    {
        // The URL names the app; a body may leave the key out but must not rename (delete and create instead).
        var body = await RequestBodies.ReadReplacementAsync(request, "apps", c => c.Apps?[0], "appKey", appKey,
            a => a.AppKey, (a, key) => a with { AppKey = key }, ct);
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }

        var (app, revision) = (body.Value!, body.Revision);

        // A secret sealed for transport (copied from an export) is accepted when this admin's control secret opens it.
        var opened = vault.OpenForImport(new GatewayConfig { Apps = [app] }, "request", out var secretErrors);
        if (secretErrors.Count > 0)
        {
            return Problems.Invalid(secretErrors);
        }

        app = opened.Apps![0];
        AppEntity? entity = null;
        var created = false;
        var newSecret = app.Secret is not null ? " (new secret)" : "";
        var result = await writer.WriteAsync(group, new AuditTarget("app.put", AuditKinds.App, appKey), $"put app {appKey}{newSecret}", draft =>
        {
            entity = draft.FindApp(appKey);
            if (entity is null)
            {
                if (revision is not null)
                {
                    return Problems.NotFound($"app '{appKey}' does not exist in group '{group}' (a revision was given, so it was expected to)");
                }

                entity = draft.AddApp(app);
                created = true;
                return null;
            }

            if (RequestBodies.CheckRevision(revision, entity.Revision, $"app '{appKey}'") is { } problem)
            {
                return problem;
            }

            draft.ReplaceApp(entity, app, keepSecret: true);
            return null;
        }, ct);

        return result switch
        {
            { Problem: { } problem } => problem,
            { Invalid: { } invalid } => invalid,
            _ when created => TypedResults.Created($"/api/v1/groups/{group}/apps/{appKey}", ToResource(entity!)),
            _ => TypedResults.Ok(ToResource(entity!)),
        };
    }

    private static Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync(
        string group, string appKey, HttpRequest request, ConfigWriter writer, CancellationToken ct) =>
        GroupEntries.DeleteAsync(request, writer, group, new AuditTarget("app.delete", AuditKinds.App, appKey), $"delete app {appKey}",
            $"app '{appKey}'", draft => draft.FindApp(appKey), a => a.Revision, (draft, a) => draft.RemoveApp(a), ct);

    private static AppResource ToResource(AppEntity entity)
    {
        var app = GroupDraft.ReadApp(entity.Json);
        return new AppResource(entity.AppKey, entity.Revision, app.Permissions, app.Enabled, app.Description, app.SecretRef,
            entity.SecretCipher is not null);
    }
}
