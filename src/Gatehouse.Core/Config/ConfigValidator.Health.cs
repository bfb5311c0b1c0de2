namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    private const int MaxThreshold = 1000;
    private const int MaxMinimumRequests = 1_000_000;

    /// <remarks>
    /// <c>path</c>, when given, starts with '/' without spaces. Durations (<c>intervalMs</c>, <c>timeoutMs</c>,
    /// <c>passive.windowMs</c>, <c>passive.ejectMs</c>) 1 ms to 1 day, and <c>timeoutMs</c> below <c>intervalMs</c>
    /// so one node's probes never overlap. Thresholds and <c>passive.consecutiveFailures</c> 1..1000;
    /// <c>passive.minimumRequests</c> 1..1000000; <c>passive.failureRatio</c>, when given, in (0, 1].
    /// </remarks>
    private static void ValidateHealthCheck(Errors errors, string entry, HealthCheckConfig health)
    {
        if (health.Path is { } path && !IsHealthPath(path))
        {
            errors.Add($"{entry}.path", $"path '{path}' must start with '/' and have no spaces, e.g. /healthz");
        }

        CheckPositiveDuration(errors, $"{entry}.intervalMs", health.IntervalMs);
        CheckPositiveDuration(errors, $"{entry}.timeoutMs", health.TimeoutMs);
        if (health.TimeoutMs > 0 && health.IntervalMs > 0 && health.TimeoutMs >= health.IntervalMs)
        {
            errors.Add($"{entry}.timeoutMs", $"must be less than intervalMs ({health.IntervalMs}), got {health.TimeoutMs}");
        }

        CheckThreshold(errors, $"{entry}.healthyThreshold", health.HealthyThreshold);
        CheckThreshold(errors, $"{entry}.unhealthyThreshold", health.UnhealthyThreshold);

        var passive = health.Passive;
        if (passive is null)
        {
            errors.Add($"{entry}.passive", "must be an object (omit it for the defaults)");
            return;
        }

        CheckThreshold(errors, $"{entry}.passive.consecutiveFailures", passive.ConsecutiveFailures);
        CheckRatio(errors, $"{entry}.passive.failureRatio", passive.FailureRatio);
        CheckPositiveDuration(errors, $"{entry}.passive.windowMs", passive.WindowMs);
        CheckPositiveDuration(errors, $"{entry}.passive.ejectMs", passive.EjectMs);
        if (passive.MinimumRequests is < 1 or > MaxMinimumRequests)
        {
            errors.Add($"{entry}.passive.minimumRequests", $"must be between 1 and {MaxMinimumRequests}, got {passive.MinimumRequests}");
        }
    }

    internal static bool IsHealthPath(string path) =>
        path.StartsWith('/') && !path.Any(char.IsWhiteSpace);

    private static void CheckPositiveDuration(Errors errors, string entry, int ms)
    {
        if (ms is < 1 or > MaxTimeoutMs)
        {
            errors.Add(entry, $"must be between 1 and {MaxTimeoutMs} ms (1 day), got {ms}");
        }
    }

    private static void CheckThreshold(Errors errors, string entry, int value)
    {
        if (value is < 1 or > MaxThreshold)
        {
            errors.Add(entry, $"must be between 1 and {MaxThreshold}, got {value}");
        }
    }
}
