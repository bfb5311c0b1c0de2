using Xunit;

namespace Gatehouse.Testing;

/// <summary>
/// Polls a condition until it holds, failing the test with <c>what</c> after a generous deadline. Tests wait this
/// way rather than sleep-then-assert, because the box running them may be loaded: a fixed sleep that is long enough
/// on a quiet machine is not on a busy one, while a poll only costs its time when it is needed.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);
}
