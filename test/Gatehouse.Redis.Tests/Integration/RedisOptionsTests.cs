namespace Gatehouse.Redis.Tests.Integration;

public sealed class RedisOptionsTests
{
    [Fact]
    public void ParseEndpoints_List_KeepsOrderAndDefaultsPort()
    {
        var endpoints = new RedisOptions { Address = "10.0.0.1:7000, redis.local ,[::1]:6380" }.ParseEndpoints();
        Assert.Equal(["10.0.0.1:7000", "redis.local:6379", "::1:6380"], endpoints.Select(e => $"{e.Host}:{e.Port}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:notaport")]
    [InlineData("host:70000")]
    public void ParseEndpoints_Invalid_Throws(string address)
    {
        Assert.Throws<FormatException>(() => new RedisOptions { Address = address }.ParseEndpoints());
    }
}
