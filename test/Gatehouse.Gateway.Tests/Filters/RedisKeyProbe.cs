using Gatehouse.Redis;

namespace Gatehouse.Gateway.Tests.Filters;

/// <summary>Looks at the keys a test's gateway wrote, through the same client.</summary>
internal static class RedisKeyProbe
{
    /// <summary>Milliseconds the key has left; -1 without expiry, -2 when it does not exist (as PTTL answers).</summary>
    public static async Task<long> PttlAsync(this RedisClient client, string key)
    {
        var db = client.Multiplexer!.GetDatabase();
        if (!await db.KeyExistsAsync(key))
        {
            return -2;
        }

        var ttl = await db.KeyTimeToLiveAsync(key);
        return ttl is { } left ? (long)left.TotalMilliseconds : -1;
    }

    public static Task<bool> ExistsAsync(this RedisClient client, string key) =>
        client.Multiplexer!.GetDatabase().KeyExistsAsync(key);
}
