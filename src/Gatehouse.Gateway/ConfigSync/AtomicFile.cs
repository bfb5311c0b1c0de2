namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// Files the gateway keeps beside its config (the snapshot file, cached plugin packages): written to a temp file in the
/// same directory, then renamed over the old one, so a reader or a restart sees the old file or the new one, never half.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/>, creating its directory. On an I/O or permission
    /// failure the temp file is removed and the exception passes on: the caller decides what a missing copy means.
    /// </summary>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllBytesAsync(temp, content, cancellationToken);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes <paramref name="path"/> if it can; a file left behind is overwritten or checked again before any use.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort, as documented above.
        }
    }
}
