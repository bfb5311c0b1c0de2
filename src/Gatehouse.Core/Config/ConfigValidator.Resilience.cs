namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    private const int MaxRetryAttempts = 10;
    private const int MaxHalfOpenProbes = 1000;
    private const int MaxMinimumThroughput = 1_000_000;
    private const int MaxMinRetriesPerSecond = 100_000;

    /// <remarks>
    /// <c>maxAttempts</c> 1..10; <c>onStatuses</c> each 500..599, no duplicates; <c>budgetPercent</c> 0..1000
    /// (a percentage of requests; 0 leaves only the per-second minimum); <c>minRetriesPerSecond</c> 0..100000.
    /// The budget is one per service, so its two keys are rejected at API level instead of being ignored.
    /// </remarks>
    private static void ValidateRetry(Errors errors, string entry, RetryConfig retry, bool apiLevel)
    {
        if (retry.MaxAttempts is < 1 or > MaxRetryAttempts)
        {
            errors.Add($"{entry}.maxAttempts", $"must be between 1 and {MaxRetryAttempts}, got {retry.MaxAttempts}");
        }

        CheckStatuses(errors, $"{entry}.onStatuses", retry.OnStatuses);

        if (retry.BudgetPercent is { } percent)
        {
            if (apiLevel)
            {
                errors.Add($"{entry}.budgetPercent", "the retry budget is per service: set budgetPercent at service or global level");
            }
            else if (!double.IsFinite(percent) || percent is < 0 or > 1000)
            {
                errors.Add($"{entry}.budgetPercent", $"must be between 0 and 1000 (percent of requests), got {percent}");
            }
        }

        if (retry.MinRetriesPerSecond is { } perSecond)
        {
            if (apiLevel)
            {
                errors.Add($"{entry}.minRetriesPerSecond", "the retry budget is per service: set minRetriesPerSecond at service or global level");
            }
            else if (perSecond is < 0 or > MaxMinRetriesPerSecond)
            {
                errors.Add($"{entry}.minRetriesPerSecond", $"must be between 0 and {MaxMinRetriesPerSecond}, got {perSecond}");
            }
        }
    }

    /// <remarks>
    /// Ratios in (0, 1]; durations 1 ms to 1 day, and <c>windowMs</c> at least 10 ms (10 buckets of 1 ms or more);
    /// <c>minimumThroughput</c> 1..1000000; <c>halfOpenProbes</c> 1..1000; <c>failureStatuses</c> each 500..599.
    /// </remarks>
    private static void ValidateCircuitBreaker(Errors errors, string entry, CircuitBreakerConfig breaker)
    {
        if (breaker.Scope is { } scope)
        {
            CheckEnum(errors, $"{entry}.scope", scope);
        }

        CheckRatio(errors, $"{entry}.failureRatio", breaker.FailureRatio);
        CheckRatio(errors, $"{entry}.slowCallRatio", breaker.SlowCallRatio);
        CheckTimeout(errors, $"{entry}.slowCallMs", breaker.SlowCallMs);
        CheckTimeout(errors, $"{entry}.openMs", breaker.OpenMs);
        if (breaker.WindowMs is < 10 or > MaxTimeoutMs)
        {
            errors.Add($"{entry}.windowMs", $"must be between 10 and {MaxTimeoutMs} ms (1 day), got {breaker.WindowMs}");
        }

        if (breaker.MinimumThroughput is < 1 or > MaxMinimumThroughput)
        {
            errors.Add($"{entry}.minimumThroughput", $"must be between 1 and {MaxMinimumThroughput}, got {breaker.MinimumThroughput}");
        }

        if (breaker.HalfOpenProbes is < 1 or > MaxHalfOpenProbes)
        {
            errors.Add($"{entry}.halfOpenProbes", $"must be between 1 and {MaxHalfOpenProbes}, got {breaker.HalfOpenProbes}");
        }

        CheckStatuses(errors, $"{entry}.failureStatuses", breaker.FailureStatuses);
    }

    private static void CheckRatio(Errors errors, string entry, double? ratio)
    {
        if (ratio is { } value && (!double.IsFinite(value) || value <= 0 || value > 1))
        {
            errors.Add(entry, $"must be a ratio greater than 0 and at most 1, got {value}");
        }
    }

    private static void CheckStatuses(Errors errors, string entry, IReadOnlyList<int>? statuses)
    {
        if (statuses is null)
        {
            return;
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < statuses.Count; i++)
        {
            var status = statuses[i];
            if (status is < 500 or > 599)
            {
                errors.Add($"{entry}[{i}]", $"must be a 5xx status (500..599), got {status}");
            }
            else if (!seen.Add(status))
            {
                errors.Add($"{entry}[{i}]", $"status {status} is listed twice");
            }
        }
    }
}
