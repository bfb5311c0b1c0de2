using System.IO.Compression;
using Gatehouse.Core.Config;
using Gatehouse.Core.Plugins;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.Filters.Plugins.Loading;
using Gatehouse.Plugins;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Tests.ConfigSync;

/// <summary>
/// Plugin packages a snapshot pins: taken from the cache or the admin only when their sha256 equals the pin; a tampered
/// cache file or download is refused (and reported), never loaded.
/// </summary>
public sealed class PluginDistributionTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("gatehouse-plugin-cache-").FullName;
    private readonly PluginRegistry _registry = new(PluginCatalog.NewBuiltIn(), TimeProvider.System, NullLogger<PluginRegistry>.Instance);
    private readonly byte[] _stamp = Zip("stamp-v1");
    private int _downloads;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_cache, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [Fact]
    public async Task Prepare_NotCached_FetchedVerifiedCachedAndLoaded()
    {
        var distribution = Distribution(_ => _stamp);

        var prepared = await distribution.PrepareAsync([Pin(_stamp)], CancellationToken.None);

        Assert.Null(prepared.Error);
        Assert.Equal(["stamp"], prepared.Plugins["admin:stamp"].FactoryNames);
        Assert.Equal(_stamp, File.ReadAllBytes(distribution.CacheFile(PluginPackage.Sha256(_stamp))));
        Assert.Equal(1, _downloads);
        prepared.Abandon();

        // Cached now: the next preparation reads the verified copy and does not ask the admin.
        var again = await distribution.PrepareAsync([Pin(_stamp)], CancellationToken.None);
        Assert.Null(again.Error);
        Assert.Equal(1, _downloads);
        again.Abandon();
    }

    [Fact]
    public async Task GetPackage_CachedCopyTampered_RefusedDeletedAndFetchedAgain()
    {
        var distribution = Distribution(_ => _stamp);
        var file = distribution.CacheFile(PluginPackage.Sha256(_stamp));
        var tampered = (byte[])_stamp.Clone();
        tampered[^10] ^= 0xFF;
        File.WriteAllBytes(file, tampered);

        var package = await distribution.GetPackageAsync(Pin(_stamp), CancellationToken.None);

        Assert.Equal(_stamp, package);
        Assert.Equal(1, _downloads);
        Assert.Equal(_stamp, File.ReadAllBytes(file));
    }

    [Fact]
    public async Task Prepare_DownloadTampered_RefusedNothingCachedOrLoaded_ReportedAsProblem()
    {
        var other = Zip("stamp-v2");
        var distribution = Distribution(_ => other);

        var prepared = await distribution.PrepareAsync([Pin(_stamp)], CancellationToken.None);

        Assert.Contains("not the pinned one: refused", prepared.Error, StringComparison.Ordinal);
        Assert.Empty(prepared.Plugins);
        Assert.False(File.Exists(distribution.CacheFile(PluginPackage.Sha256(_stamp))));
        var problem = Assert.Single(_registry.Problems());
        Assert.Equal("admin:stamp", problem.Folder);
        Assert.Contains("refused", problem.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_CachedCopyTamperedAndAdminUnreachable_Refused_ReportedAsProblem()
    {
        var distribution = Distribution(_ => null);
        var tampered = (byte[])_stamp.Clone();
        tampered[^10] ^= 0xFF;
        File.WriteAllBytes(distribution.CacheFile(PluginPackage.Sha256(_stamp)), tampered);

        var prepared = await distribution.PrepareAsync([Pin(_stamp)], CancellationToken.None);

        Assert.Contains("cached copy has sha256", prepared.Error, StringComparison.Ordinal);
        Assert.Contains("cannot fetch it from the admin", prepared.Error, StringComparison.Ordinal);
        Assert.Equal("admin:stamp", Assert.Single(_registry.Problems()).Folder);
    }

    [Fact]
    public async Task Prepare_PinNotASha256_Refused()
    {
        var prepared = await Distribution(_ => _stamp).PrepareAsync([new PluginPinConfig { Name = "stamp", Sha256 = "../../etc/passwd" }],
            CancellationToken.None);

        Assert.Contains("not a sha256", prepared.Error, StringComparison.Ordinal);
        Assert.Equal(0, _downloads);
    }

    [Fact]
    public void Prune_DeletesPackagesNoLongerPinned()
    {
        var distribution = Distribution(_ => null);
        File.WriteAllBytes(distribution.CacheFile(PluginPackage.Sha256(_stamp)), _stamp);
        File.WriteAllBytes(distribution.CacheFile(new string('a', 64)), [1]);

        distribution.Prune([Pin(_stamp)]);

        Assert.Equal([PluginPackage.Sha256(_stamp) + ".zip"], Directory.GetFiles(_cache, "*.zip").Select(Path.GetFileName));
    }

    private PluginDistribution Distribution(Func<string, byte[]?> admin) => new((sha256, _) =>
    {
        _downloads++;
        var package = admin(sha256);
        return Task.FromResult(package is null ? ((byte[]?)null, (string?)"connection refused") : (package, null));
    }, _registry, _cache, TimeProvider.System, NullLogger.Instance);

    private static PluginPinConfig Pin(byte[] zip) => new() { Name = "stamp", Sha256 = PluginPackage.Sha256(zip), Factories = ["stamp"] };

    private static byte[] Zip(string folder)
    {
        using var buffer = new MemoryStream();
        ZipFile.CreateFromDirectory(Path.Combine(AppContext.BaseDirectory, "test-plugins", folder), buffer);
        return buffer.ToArray();
    }
}
