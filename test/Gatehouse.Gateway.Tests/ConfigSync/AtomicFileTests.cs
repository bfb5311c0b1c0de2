using Gatehouse.Gateway.ConfigSync;

namespace Gatehouse.Gateway.Tests.ConfigSync;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Write_CreatesTheDirectory_ReplacesTheOldContent_LeavesNoTempFile()
    {
        var path = Path.Combine(_dir, "sub", "snapshot.json");
        await AtomicFile.WriteAsync(path, "old"u8.ToArray(), CancellationToken.None);
        await AtomicFile.WriteAsync(path, "new"u8.ToArray(), CancellationToken.None);

        Assert.Equal("new", await File.ReadAllTextAsync(path));
        Assert.Equal(["snapshot.json"], Directory.GetFiles(Path.Combine(_dir, "sub")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Write_WhenTheTargetCannotBeReplaced_Throws_KeepsTheOldFile_AndRemovesTheTempFile()
    {
        // A directory where the file should go: the rename fails after the temp file was written.
        var path = Path.Combine(_dir, "package.zip");
        Directory.CreateDirectory(path);

        await Assert.ThrowsAnyAsync<IOException>(() => AtomicFile.WriteAsync(path, "bytes"u8.ToArray(), CancellationToken.None));

        Assert.True(Directory.Exists(path));
        Assert.Equal(["package.zip"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void TryDelete_OfAMissingFileOrADirectory_DoesNotThrow()
    {
        AtomicFile.TryDelete(Path.Combine(_dir, "missing"));
        Directory.CreateDirectory(Path.Combine(_dir, "dir"));
        AtomicFile.TryDelete(Path.Combine(_dir, "dir"));
    }
}
