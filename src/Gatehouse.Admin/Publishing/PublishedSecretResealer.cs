using Gatehouse.Admin.Security;
using Gatehouse.Admin.Storage;
using Gatehouse.Core.Config;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Publishing;

/// <summary>
/// At start, republishes every group whose latest published version holds an app secret sealed under a control
/// secret other than the current one, so that after a control secret rotation the fleet stops needing the old secret
/// without waiting for a config change (docs/configuration.md, "Rotating the control secret"). An active gray config
/// sealed under another secret is stored again as the next version, sealed under the current one.
/// </summary>
/// <remarks>
/// The republished version is the same config sealed under the current secret (a normal write: audit row
/// <c>controlSecret.reseal</c> by <c>system</c>, push to the gateways). A version sealed under the current secret is left
/// alone, so an admin restarted without a rotation publishes nothing. Two admins starting together may both try; the
/// second fails on the version key and logs it, which is harmless: the first one's version is sealed the same way.
/// </remarks>
internal sealed partial class PublishedSecretResealer(IServiceScopeFactory scopes, AppSecretVault vault, ILogger<PublishedSecretResealer> logger)
    : BackgroundService
{
    /// <summary>Audit action of a republish under the current control secret.</summary>
    public const string AuditAction = "controlSecret.reseal";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var transport = vault.Transport;
        if (transport is null)
        {
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AdminDbContext>();
            var groups = await db.Groups.AsNoTracking().Select(g => g.Name).ToListAsync(stoppingToken);
            var resealed = 0;
            foreach (var group in groups)
            {
                var snapshot = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && !v.Gray)
                    .OrderByDescending(v => v.Version).Select(v => v.Snapshot).FirstOrDefaultAsync(stoppingToken);
                if (await GrayWriter.FindAsync(db, group, stoppingToken) is { } gray)
                {
                    var graySnapshot = await db.ConfigVersions.AsNoTracking().Where(v => v.Group == group && v.Version == gray.Version)
                        .Select(v => v.Snapshot).FirstAsync(stoppingToken);
                    if (NeedsReseal(ConfigSerializer.Deserialize(graySnapshot, "store"), transport))
                    {
                        await using var grayScope = scopes.CreateAsyncScope();
                        var grayResult = await grayScope.ServiceProvider.GetRequiredService<GrayWriter>().ResealAsync(group, stoppingToken);
                        if (grayResult.Version > 0)
                        {
                            resealed++;
                            Log.GrayResealed(logger, group, grayResult.Version, transport.KeyId);
                        }
                        else if (!grayResult.Unchanged)
                        {
                            Log.ResealFailed(logger, group, transport.KeyId);
                        }
                    }
                }

                if (snapshot is null || !NeedsReseal(ConfigSerializer.Deserialize(snapshot, "store"), transport))
                {
                    continue;
                }

                await using var writeScope = scopes.CreateAsyncScope();
                var writer = writeScope.ServiceProvider.GetRequiredService<ConfigWriter>();
                var result = await writer.WriteAsync(group, new AuditTarget(AuditAction, AuditKinds.Group, group),
                    $"re-sealed app secrets under the current control secret (key id {transport.KeyId})", _ => null, stoppingToken);
                if (result.Version > 0)
                {
                    resealed++;
                    Log.Resealed(logger, group, result.Version, transport.KeyId);
                }
                else
                {
                    Log.ResealFailed(logger, group, transport.KeyId);
                }
            }

            Log.Checked(logger, groups.Count, transport.KeyId, resealed);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            Log.Failed(logger, ex);
        }
    }

    private static bool NeedsReseal(GatewayConfig config, Core.Security.AppSecretTransport transport)
    {
        foreach (var app in config.Apps ?? [])
        {
            if (Core.Security.SecretEnvelope.IsEnvelope(app.Secret) && !transport.IsSealedUnderCurrent(app.AppKey, app.Secret!))
            {
                return true;
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 80, Level = LogLevel.Information,
            Message = "Group {Group}: published version {Version} re-seals its app secrets under the current control secret (key id {KeyId})")]
        public static partial void Resealed(ILogger logger, string group, long version, string keyId);

        [LoggerMessage(EventId = 81, Level = LogLevel.Warning,
            Message = "Group {Group}: its app secrets are published under another control secret and re-publishing under key id {KeyId} failed "
                + "(another admin may have done it, or a stored secret is unreadable); gateways without the old secret cannot open them until the next change")]
        public static partial void ResealFailed(ILogger logger, string group, string keyId);

        [LoggerMessage(EventId = 84, Level = LogLevel.Information,
            Message = "Group {Group}: its gray config is stored again as version {Version}, sealed under the current control secret (key id {KeyId})")]
        public static partial void GrayResealed(ILogger logger, string group, long version, string keyId);

        [LoggerMessage(EventId = 83, Level = LogLevel.Information,
            Message = "Checked the published app secrets of {Groups} groups against the current control secret (key id {KeyId}); {Resealed} re-published")]
        public static partial void Checked(ILogger logger, int groups, string keyId, int resealed);

        [LoggerMessage(EventId = 82, Level = LogLevel.Error, Message = "Checking published app secrets against the current control secret failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
