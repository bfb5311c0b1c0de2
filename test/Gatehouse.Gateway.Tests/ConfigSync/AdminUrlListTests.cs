using Gatehouse.Gateway.ConfigSync;

namespace Gatehouse.Gateway.Tests.ConfigSync;

public class AdminUrlListTests
{
    [Fact]
    public void ParseAdminUrls_CommaSeparatedList_AllInOrderWithTrailingSlash()
    {
        var admins = AdminConfigClient.ParseAdminUrls(" http://a:9000 ,https://b:9000/admin/,, http://c:9000/x");

        Assert.Equal(["http://a:9000/", "https://b:9000/admin/", "http://c:9000/x/"], admins.Select(a => a.ToString()));
    }

    [Fact]
    public void ParseAdminUrls_OneUrl_OneAdmin()
    {
        Assert.Equal("http://127.0.0.1:9000/", Assert.Single(AdminConfigClient.ParseAdminUrls("http://127.0.0.1:9000")).ToString());
    }

    [Theory]
    [InlineData(" , ")]
    [InlineData("http://a:9000,not a url")]
    [InlineData("http://a:9000,ftp://b")]
    [InlineData("a:9000")]
    public void ParseAdminUrls_Malformed_Throws(string value)
    {
        Assert.Throws<FormatException>(() => AdminConfigClient.ParseAdminUrls(value));
    }
}
