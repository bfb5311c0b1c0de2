using StackExchange.Redis;

namespace Gatehouse.Redis.Tests.Integration;

public sealed class RedisOptionsTests
{
    [Fact]
    public void ToConfiguration_ServerList_KeepsEveryEndpointAndDefaults()
    {
        var configuration = new RedisOptions { Address = "10.0.0.1:7000, redis.local ,[::1]:6380" }.ToConfiguration();

        Assert.Equal(3, configuration.EndPoints.Count);
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, configuration.BacklogPolicy);
        Assert.Equal("gatehouse", configuration.ClientName);
    }

    [Fact]
    public void ToConfiguration_ConfigurationString_SentinelTlsAndAclCarriedOver()
    {
        var configuration = new RedisOptions
        {
            Address = "127.0.0.1:26379,serviceName=mymaster,ssl=true,user=gw,password=from-string",
            Password = "from-option",
            Database = 3,
            CommandTimeout = TimeSpan.FromMilliseconds(250),
            ConnectTimeout = TimeSpan.FromSeconds(1),
        }.ToConfiguration();

        Assert.Equal("mymaster", configuration.ServiceName);
        Assert.True(configuration.Ssl);
        Assert.Equal("gw", configuration.User);
        Assert.Equal("from-option", configuration.Password);
        Assert.Equal(3, configuration.DefaultDatabase);
        Assert.Equal(250, configuration.AsyncTimeout);
        Assert.Equal(1000, configuration.ConnectTimeout);

        // Timeouts are found on the heartbeat: it beats at half the command timeout, not once a second.
        Assert.Equal(TimeSpan.FromMilliseconds(125), configuration.HeartbeatInterval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("127.0.0.1:6379,nosuchoption=1")]
    [InlineData("password=only")]
    public void ToConfiguration_Invalid_ThrowsFormatExceptionWithoutTheSecret(string address)
    {
        var ex = Assert.Throws<FormatException>(() => new RedisOptions { Address = address }.ToConfiguration());

        Assert.DoesNotContain("only", ex.Message);
    }

    [Fact]
    public void ToConfiguration_MissingCaFile_Throws()
    {
        var ex = Assert.Throws<FormatException>(() =>
            new RedisOptions { Address = "127.0.0.1:6380,ssl=true", CaFile = "/nonexistent/ca.pem" }.ToConfiguration());

        Assert.Contains("/nonexistent/ca.pem", ex.Message);
    }
}
