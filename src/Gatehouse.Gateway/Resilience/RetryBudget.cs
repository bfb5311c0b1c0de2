
namespace Gatehouse.Gateway.Resilience;

/// <summary>
/// Limits the extra load retries put on one service (Finagle's RetryBudget, Envoy's retry_budget): a retry is
/// admitted only while the retries of the last <see cref="Window"/> stay within
/// <see cref="RetryPolicy.BudgetPercent"/> of its requests, or within the per-second minimum that lets a service
/// with little traffic still retry. Without it, every failing request of an overloaded service becomes
/// <c>maxAttempts</c> requests and keeps it down.
/// </summary>
/// <remarks>Lock-free; see <see cref="TimeBuckets"/> for what that costs in precision.</remarks>
internal sealed class RetryBudget
{
    /// <summary>Finagle's default time-to-live of deposits.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private const int Requests = 0;
    private const int Retries = 1;

    private readonly TimeBuckets _counts;
    private readonly TimeProvider _time;
    private readonly double _ratio;
    private readonly int _minimum;

    public RetryBudget(double budgetPercent, int minRetriesPerSecond, TimeProvider time)
    {
        _time = time;
        _ratio = budgetPercent / 100.0;
        _minimum = (int)Math.Min(int.MaxValue, (long)minRetriesPerSecond * (long)Window.TotalSeconds);
        BudgetPercent = budgetPercent;
        MinRetriesPerSecond = minRetriesPerSecond;
        _counts = new TimeBuckets(Window, 2, time.TimestampFrequency);
    }

    public double BudgetPercent { get; }

    public int MinRetriesPerSecond { get; }

    /// <summary>Counts one client request (not its retries); one interlocked add.</summary>
    public void RecordRequest() => _counts.Add(_time.GetTimestamp(), Requests);

    /// <summary>Whether a retry would be admitted now, without taking it.</summary>
    public bool CanRetry() => CanRetry(_time.GetTimestamp());

    /// <summary>Takes one retry from the budget; false when it is spent.</summary>
    public bool TryWithdraw()
    {
        var now = _time.GetTimestamp();
        if (!CanRetry(now))
        {
            return false;
        }

        // Check-then-add: concurrent withdrawals can overshoot by the number of racing threads, which a budget
        // of a percentage over seconds does not notice.
        _counts.Add(now, Retries);
        return true;
    }

    /// <summary>Takes one retry whatever the budget (one that <see cref="CanRetry()"/> admitted before the attempt).</summary>
    public void Withdraw() => _counts.Add(_time.GetTimestamp(), Retries);

    private bool CanRetry(long now)
    {
        var retries = _counts.Sum(now, Retries);
        if (retries < _minimum)
        {
            return true;
        }

        return retries < _counts.Sum(now, Requests) * _ratio;
    }
}
