using Gatehouse.Core.Build;

namespace Gatehouse.Core.Tests.Build;

public sealed class BuildInfoTests
{
    [Theory]
    [InlineData("1.0.0+0f6a72dfd2445334bdb1d55419948a7a117a998c", "1.0.0", "0f6a72dfd2445334bdb1d55419948a7a117a998c")]
    [InlineData("2.1.0-rc.1+abc", "2.1.0-rc.1", "abc")]
    [InlineData("1.0.0", "1.0.0", null)]
    [InlineData("1.0.0+", "1.0.0", null)]
    [InlineData("", "unknown", null)]
    [InlineData(null, "unknown", null)]
    public void Parse_SplitsVersionAndCommit(string? informational, string version, string? commit)
    {
        Assert.Equal((version, commit), BuildInfo.Parse(informational));
    }

    [Fact]
    public void Current_BuiltInAGitCheckout_HasVersionAndHexCommit()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", BuildInfo.Version);

        // The SDK records the commit when the build runs in a git checkout, as the project's builds do.
        Assert.NotNull(BuildInfo.Commit);
        Assert.Matches("^[0-9a-f]{7,40}$", BuildInfo.Commit);
    }
}
