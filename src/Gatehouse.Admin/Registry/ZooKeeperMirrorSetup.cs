using System.Threading.Channels;
using Gatehouse.ZooKeeper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Admin.Registry;

/// <summary>
/// What the mirrors of ZooKeeper registries (<see cref="ZooKeeperMirror"/>, <see cref="DubboProviderMirror"/>) set
/// up alike: the session, the change signal their watchers raise, and the text of a refused write.
/// </summary>
internal static class ZooKeeperMirrorSetup
{
    /// <summary>
    /// The signal watcher callbacks raise: one pending signal at most, so a burst of changes is one pass.
    /// </summary>
    public static Channel<bool> CreateSignal()
        => Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>
    /// Connects, retrying with backoff (0.5 s doubling to 10 s, 10 s per attempt) while no server answers; the outage
    /// is reported once, by <paramref name="unreachable"/> (connect string, reason). Null when the admin stops first.
    /// </summary>
    /// <param name="connected">Told the connect string and the session id once connected.</param>
    public static async Task<ZooKeeperClient?> ConnectAsync(string connect, TimeSpan sessionTimeout, ILogger logger,
        Action<string, long> connected, Action<string, string> unreachable, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        for (var failures = 0; ; failures++)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
                {
                    ConnectString = connect,
                    SessionTimeout = sessionTimeout,
                    Logger = logger,
                }, attempt.Token);
                connected(connect, client.SessionId);
                return client;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception exception) when (exception is not FormatException)
            {
                // A malformed connect string (FormatException) is a deployment error and stops the admin.
                if (failures == 0)
                {
                    unreachable(connect, exception.Message);
                }
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
        }
    }

    /// <summary>The problem of a refused mirror write as one line for the log.</summary>
    public static string Describe(object problem) => problem switch
    {
        ValidationProblem validation => string.Join("; ", validation.ProblemDetails.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
        ProblemHttpResult http => $"{http.StatusCode} {http.ProblemDetails.Title} {http.ProblemDetails.Detail}",
        _ => problem.ToString() ?? "refused",
    };
}
