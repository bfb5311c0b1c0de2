using System.IO.Compression;

namespace Gatehouse.Testing;

/// <summary>Hand-made zip archives for the plugin package tests (admin upload checks and the shared package reader).</summary>
internal static class TestZips
{
    /// <summary>A zip of the given entries (name → bytes), names written as given (so '..' and absolute names can be tested).</summary>
    public static byte[] With(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = archive.CreateEntry(name).Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }
}
