using Gatehouse.Dubbo.Registry;

namespace Gatehouse.Dubbo.Tests.Registry;

public class DubboConsumerMatchTests
{
    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, "0.0.0", true)]       // dubbo.ts registers 0.0.0 for "no version", as Dubbo's wire says it
    [InlineData("0.0.0", null, true)]
    [InlineData(null, "1.0.0", false)]
    [InlineData("1.0.0", null, false)]
    [InlineData("1.0.0", "1.0.0", true)]
    [InlineData("1.0.0", "1.0.1", false)]
    [InlineData("1.0", "1.0.0", false)]     // exact text, no semantic versioning
    [InlineData("*", null, true)]
    [InlineData("*", "2.0.0", true)]
    public void VersionMatches_AsDubboConsumer(string? wanted, string? provider, bool matches)
    {
        Assert.Equal(matches, DubboConsumerMatch.VersionMatches(wanted, provider));
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, "east", false)]
    [InlineData("east", null, false)]
    [InlineData("east", "east", true)]
    [InlineData("east", "East", false)]
    [InlineData("*", null, true)]
    [InlineData("*", "west", true)]
    [InlineData("east,west", "west", true)]
    [InlineData("east,west", "north", false)]
    [InlineData("east,west", null, false)]
    public void GroupMatches_AsDubboConsumer(string? wanted, string? provider, bool matches)
    {
        Assert.Equal(matches, DubboConsumerMatch.GroupMatches(wanted, provider));
    }

    [Theory]
    [InlineData("dubbo://h:1/com.X?interface=com.X&version=1.0.0&group=east", true)]
    [InlineData("dubbo://h:1/com.X?interface=com.X&version=1.0.0&default.group=east", true)]
    [InlineData("dubbo://h:1/com.X?version=1.0.0&group=east", true)]                         // interface from the path
    [InlineData("dubbo://h:1/com.X?interface=com.Y&version=1.0.0&group=east", false)]
    [InlineData("dubbo://h:1/com.X?interface=com.X&version=1.0.0&group=east&enabled=false", false)]
    [InlineData("dubbo://h:1/com.X?interface=com.X&version=1.0.0&group=east&category=configurators", false)]
    [InlineData("dubbo://h:1/com.X?interface=com.X&version=2.0.0&group=east", false)]
    [InlineData("dubbo://h:1/com.X?interface=com.X&version=1.0.0", false)]
    public void Matches_InterfaceVersionGroupEnabledCategory(string text, bool matches)
    {
        Assert.Null(DubboProviderUrl.TryParse(text, out var url));
        Assert.Equal(matches, DubboConsumerMatch.Matches(url!, "com.X", "1.0.0", "east"));
    }
}
