using Gatehouse.Core.Text;

namespace Gatehouse.Core.Tests.Text;

public sealed class EditDistanceTests
{
    [Theory]
    [InlineData("", "", 0)]
    [InlineData("port", "port", 0)]
    [InlineData("prot", "port", 2)]
    [InlineData("prt", "port", 1)]
    [InlineData("ports", "port", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Between_CountsEdits(string a, string b, int expected)
    {
        Assert.Equal(expected, EditDistance.Between(a, b));
        Assert.Equal(expected, EditDistance.Between(b, a));
    }
}
