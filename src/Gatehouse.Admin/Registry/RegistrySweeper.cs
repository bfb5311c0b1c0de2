using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Registry;

/// <summary>Runs <see cref="RegistryService.SweepAsync"/> every <see cref="AdminOptions.RegistrySweepInterval"/>.</summary>
/// <remarks>
/// Every admin sharing a database runs one; the sweep claims each lease transition with a conditional update, so
/// two sweepers never apply the same expiry twice. The clock is the injected <see cref="TimeProvider"/>.
/// </remarks>
internal sealed partial class RegistrySweeper(IServiceScopeFactory scopes, TimeProvider time, IOptions<AdminOptions> options,
    ILogger<RegistrySweeper> logger) : BackgroundService
{
    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RegistrySweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sweep in its own scope; a failure (e.g. the database is down) is logged once until a sweep succeeds.</summary>
    public async Task SweepOnceAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<RegistryService>().SweepAsync(ct);
            if (_failing)
            {
                _failing = false;
                LogRecovered(logger);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (!_failing)
            {
                _failing = true;
                LogFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Registry sweep failed; retrying every interval (logged once until it recovers)")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "Registry sweep works again")]
    private static partial void LogRecovered(ILogger logger);
}
