using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary><see cref="JwksCache"/> against a real JWKS endpoint on loopback, with a clock the test moves.</summary>
public class JwksCacheTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new();
    private readonly HttpClient _http = new();
    private readonly RSA _rsa = RSA.Create(2048);
    private volatile int _status = 200;
    private volatile string _body = "";
    private TestBackend _issuer = null!;

    public async Task InitializeAsync()
    {
        var p = _rsa.ExportParameters(false);
        _body = JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { kty = "RSA", kid = "k1", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) },
                new { kty = "RSA", kid = "enc", use = "enc", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) },
                new { kty = "oct", kid = "oct", k = Base64UrlEncoder.Encode(new byte[32]) },
            },
        });
        _issuer = await TestBackend.StartAsync(async context =>
        {
            context.Response.StatusCode = _status;
            await context.Response.WriteAsync(_status == 200 ? _body : "down");
        });
    }

    public async Task DisposeAsync()
    {
        await _issuer.DisposeAsync();
        _http.Dispose();
        _rsa.Dispose();
    }

    private JwksCache Cache() => new(new Uri(_issuer.BaseAddress + "/jwks"), _http, _clock, NullLogger.Instance, TimeSpan.FromMinutes(10));

    [Fact]
    public async Task LoadsOnlyAsymmetricSigningKeys()
    {
        var cache = Cache();

        Assert.NotNull(await cache.GetKeyAsync("k1"));
        Assert.Null(await cache.GetKeyAsync("oct"));
        Assert.Empty(cache.Resolve("enc"));
    }

    [Fact]
    public async Task IssuerDown_FirstLoadRetriedAtMostEveryTwoSeconds_ThenLoads()
    {
        _status = 500;
        var cache = Cache();

        Assert.Null(await cache.GetKeyAsync("k1"));
        Assert.Null(await cache.GetKeyAsync("k1"));
        Assert.Equal(1, cache.Fetches);

        _status = 200;
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.NotNull(await cache.GetKeyAsync("k1"));
        Assert.Equal(2, cache.Fetches);
    }

    [Fact]
    public async Task StaleSet_RefreshedInBackground_FailedRefreshKeepsKeys()
    {
        var cache = Cache();
        Assert.NotNull(await cache.GetKeyAsync("k1"));

        _status = 500;
        _clock.Advance(TimeSpan.FromMinutes(11));

        // Served from the cached set while the refresh runs (and fails) in the background.
        Assert.NotNull(await cache.GetKeyAsync("k1"));
        Assert.Equal(2, cache.Fetches);
        await GatewayTestHost.WaitUntilAsync(async () =>
        {
            await Task.Yield();
            return cache.Resolve("k1").Any();
        }, TimeSpan.FromSeconds(10), "keys kept");
        Assert.NotNull(await cache.GetKeyAsync("k1"));
    }

    [Fact]
    public async Task PrefetchFinishingBetweenTheMissAndTheSlowPath_KeyFound()
    {
        // The request read no key set, then the prefetch completed before the request's slow path took the lock: the
        // slow path must see the arrived set rather than treat the completed fetch as a recent failure.
        var cache = Cache();
        cache.Prefetch();
        await GatewayTestHost.WaitUntilAsync(async () =>
        {
            await Task.Yield();
            return cache.Resolve("k1").Any();
        }, TimeSpan.FromSeconds(10), "prefetch loaded");

        Assert.NotNull(await cache.FetchThenFindAsync("k1", firstLoad: true));
        Assert.Equal(1, cache.Fetches);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
