using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Hosting.Tls;

/// <summary>
/// Polls the TLS certificate files every <see cref="GatewayTlsOptions.ReloadInterval"/> so a renewed certificate
/// is served without a restart. Polling rather than a file watcher: renewals are rare, the files are small, and
/// watchers miss the symlink swaps of mounted secrets. Idle when TLS or reloading is off.
/// </summary>
internal sealed partial class ServerCertificateReloader(ServerTls tls, ILogger<ServerCertificateReloader> logger, TimeProvider time)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = tls.Options.ReloadInterval;
        if (!tls.Options.Enabled || interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    tls.ReloadIfChanged();
                }
                catch (Exception e)
                {
                    // Refusals are logged by ServerTls; anything else must not end polling (or the host).
                    Log.ReloadFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5205, Level = LogLevel.Error, Message = "Checking the TLS certificate files for changes failed; trying again at the next interval")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);
    }
}
