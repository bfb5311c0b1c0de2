namespace Gatehouse.Testing;

/// <summary>What a piece of hot-path code allocates, measured exactly with the thread's allocation counter (not timing).</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes allocated on this thread by 1,000 calls of <paramref name="action"/>, after one call that is not counted
    /// so one-time JIT and static setup are excluded.
    /// </summary>
    public static long Of(Action action)
    {
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
