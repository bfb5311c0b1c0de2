namespace Gatehouse.Gateway.Tests.Infrastructure;

/// <summary>A clock that moves only when told to; timestamps in nanoseconds.</summary>
internal sealed class TestTimeProvider : TimeProvider
{
    private long _nanoseconds = 1_000_000_000_000;

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() => Interlocked.Read(ref _nanoseconds);

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(GetTimestamp() / 100);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _nanoseconds, (long)(by.TotalMilliseconds * 1_000_000));
}
