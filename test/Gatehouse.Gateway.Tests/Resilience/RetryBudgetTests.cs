using Gatehouse.Gateway.Resilience;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Resilience;

public class RetryBudgetTests
{
    private readonly TestTimeProvider _time = new();

    [Fact]
    public void TryWithdraw_NoTraffic_MinimumPerSecondAllowance()
    {
        var budget = new RetryBudget(budgetPercent: 20, minRetriesPerSecond: 3, _time);

        // 3 per second over the 10 s window.
        for (var i = 0; i < 30; i++)
        {
            Assert.True(budget.TryWithdraw(), $"retry {i}");
        }

        Assert.False(budget.TryWithdraw());
        Assert.False(budget.CanRetry());
    }

    [Fact]
    public void TryWithdraw_BudgetExhausted_NoRetryUntilRequestsGrowOrWindowPasses()
    {
        var budget = new RetryBudget(budgetPercent: 20, minRetriesPerSecond: 0, _time);
        for (var i = 0; i < 100; i++)
        {
            budget.RecordRequest();
        }

        var admitted = 0;
        while (budget.TryWithdraw() && admitted < 1000)
        {
            admitted++;
        }

        Assert.Equal(20, admitted); // 20% of 100
        Assert.False(budget.CanRetry());

        for (var i = 0; i < 5; i++)
        {
            budget.RecordRequest();
        }

        Assert.True(budget.TryWithdraw()); // 105 requests allow 21
        Assert.False(budget.TryWithdraw());

        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.False(budget.CanRetry()); // the window is empty: no requests, no minimum
        budget.RecordRequest();
        budget.RecordRequest();
        budget.RecordRequest();
        budget.RecordRequest();
        budget.RecordRequest();
        Assert.True(budget.TryWithdraw()); // 20% of 5
    }

    [Fact]
    public void Withdraw_CountsEvenPastTheBudget()
    {
        var budget = new RetryBudget(budgetPercent: 0, minRetriesPerSecond: 1, _time);
        for (var i = 0; i < 10; i++)
        {
            budget.Withdraw();
        }

        Assert.False(budget.CanRetry());
    }
}
