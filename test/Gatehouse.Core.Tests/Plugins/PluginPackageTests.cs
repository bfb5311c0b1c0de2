using Gatehouse.Testing;
using System.IO.Compression;
using Gatehouse.Core.Plugins;

namespace Gatehouse.Core.Tests.Plugins;

/// <summary>Plugin package checks made before anything is extracted: zip, size, entry paths, an assembly.</summary>
public sealed class PluginPackageTests
{
    [Theory]
    [InlineData("../evil.dll", "climbs out of the package")]
    [InlineData("lib/../../evil.dll", "climbs out of the package")]
    [InlineData("..\\evil.dll", "climbs out of the package")]
    [InlineData("/etc/evil.dll", "absolute path")]
    [InlineData("C:/evil.dll", "absolute path")]
    public void Check_UnsafeEntry_Refused(string entry, string expected)
    {
        Assert.Contains(expected, PluginPackage.Check(TestZips.With((entry, [1])), 1 << 20), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NotAZip_Refused() =>
        Assert.Contains("not a valid zip", PluginPackage.Check("plain text"u8.ToArray(), 1 << 20), StringComparison.Ordinal);

    [Fact]
    public void Check_NoAssembly_Refused() =>
        Assert.Contains("holds no .dll", PluginPackage.Check(TestZips.With(("readme.txt", [1])), 1 << 20), StringComparison.Ordinal);

    [Fact]
    public void Check_ExtractsToMoreThanTheBound_Refused() =>
        Assert.Contains("extracts to more than 1000 bytes", PluginPackage.Check(TestZips.With(("big.dll", new byte[2000])), 1000), StringComparison.Ordinal);

    [Fact]
    public void Check_PluginFolderAtRootOrInOneFolder_Accepted()
    {
        Assert.Null(PluginPackage.Check(TestZips.With(("p.dll", [1]), ("p.deps.json", [2])), 1 << 20));
        Assert.Null(PluginPackage.Check(TestZips.With(("p/p.dll", [1]), ("p/lib/dep.dll", [2])), 1 << 20));
    }

    [Fact]
    public void Load_BadPackage_ThrowsPluginLoadException_LeavesNothingBehind()
    {
        var work = Directory.CreateTempSubdirectory("gatehouse-package-").FullName;
        try
        {
            var ex = Assert.Throws<PluginLoadException>(() =>
                PluginPackage.Load(TestZips.With(("p.dll", [1, 2, 3])), "p", work, 1 << 20, DateTimeOffset.UnixEpoch));

            Assert.Contains("not a loadable .NET assembly", ex.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(work));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void IsSha256_OnlyLowerCaseHex64()
    {
        Assert.True(PluginPackage.IsSha256(PluginPackage.Sha256([1])));
        Assert.False(PluginPackage.IsSha256(PluginPackage.Sha256([1]).ToUpperInvariant()));
        Assert.False(PluginPackage.IsSha256("../../etc/passwd"));
        Assert.False(PluginPackage.IsSha256(null));
    }
}
