using System.IO.Compression;
using System.Security.Cryptography;

namespace Gatehouse.Core.Plugins;

/// <summary>
/// A plugin package: a zip of one plugin folder (its assembly and dependencies), as uploaded to the admin and fetched by
/// gateways. Either the folder's files sit at the root of the zip, or the zip holds exactly that one folder.
/// </summary>
/// <remarks>
/// A package is only ever extracted after its checks: no entry may leave the target folder (absolute paths, <c>..</c>,
/// drive letters), the uncompressed total is bounded (a zip bomb is refused before it is written), and a package is
/// loaded from a fresh folder that is deleted once the assemblies are in memory (<see cref="PluginLoadContext"/> reads
/// them as bytes), so nothing on disk but the verified zip itself is ever trusted.
/// </remarks>
public static class PluginPackage
{
    /// <summary>Most files one package may hold.</summary>
    public const int MaxEntries = 1000;

    /// <summary>SHA-256 of <paramref name="bytes"/>, 64 lower-case hex digits: a package's identity.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>True when <paramref name="value"/> is 64 lower-case hex digits.</summary>
    public static bool IsSha256(string? value) =>
        value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>
    /// Checks <paramref name="zip"/> without extracting it: a readable zip, at most <see cref="MaxEntries"/> files and
    /// <paramref name="maxExtracted"/> bytes uncompressed, no entry outside the package, at least one <c>.dll</c>.
    /// </summary>
    /// <returns>Null when the package may be extracted; else what is wrong, for the uploader.</returns>
    public static string? Check(byte[] zip, long maxExtracted)
    {
        ArgumentNullException.ThrowIfNull(zip);
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
            var total = 0L;
            var assemblies = 0;
            foreach (var entry in archive.Entries)
            {
                if (archive.Entries.Count > MaxEntries)
                {
                    return $"the zip holds {archive.Entries.Count} entries; at most {MaxEntries} are accepted";
                }

                if (UnsafeEntry(entry.FullName) is { } unsafeEntry)
                {
                    return $"the zip entry '{entry.FullName}' {unsafeEntry}";
                }

                total += entry.Length;
                if (total > maxExtracted)
                {
                    return $"the zip extracts to more than {maxExtracted} bytes";
                }

                if (entry.FullName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                {
                    assemblies++;
                }
            }

            return assemblies == 0 ? "the zip holds no .dll: a package is the plugin's folder (its assembly and dependencies)" : null;
        }
        catch (InvalidDataException ex)
        {
            return $"not a valid zip: {ex.Message}";
        }
    }

    /// <summary>
    /// Checks, extracts into a new folder under <paramref name="workRoot"/>, loads the plugin with <see cref="PluginLoader"/>
    /// and deletes the folder again. The folder is named after the zip's single top folder, or <paramref name="name"/>
    /// when the files sit at the root (the loader finds <c>&lt;folder&gt;.dll</c> or the assembly a <c>*.deps.json</c> names).
    /// </summary>
    /// <exception cref="PluginLoadException">The package is not a usable plugin; nothing stays loaded.</exception>
    public static LoadedPlugin Load(byte[] zip, string name, string workRoot, long maxExtracted, DateTimeOffset now)
    {
        if (Check(zip, maxExtracted) is { } problem)
        {
            throw new PluginLoadException(problem);
        }

        var work = Path.Combine(workRoot, $".extract-{Guid.NewGuid():N}");
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
            var top = SingleTopFolder(archive);
            var folder = Path.Combine(work, top ?? name);
            Directory.CreateDirectory(folder);
            var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
            foreach (var entry in archive.Entries)
            {
                var relative = top is null ? entry.FullName : entry.FullName[(top.Length + 1)..];
                if (relative.Length == 0 || relative.EndsWith('/'))
                {
                    continue;
                }

                var target = Path.GetFullPath(Path.Combine(folder, relative));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                {
                    throw new PluginLoadException($"the zip entry '{entry.FullName}' leaves the package");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target, overwrite: false);
            }

            return PluginLoader.Load(folder, Sha256(zip), now);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new PluginLoadException($"cannot extract the package: {ex.Message}", ex);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The assemblies are in memory already; a leftover folder is only disk space, removed with the work root.
            }
        }
    }

    /// <summary>Why an entry name is unsafe to extract, or null.</summary>
    private static string? UnsafeEntry(string name)
    {
        if (name.Length == 0 || name.Contains('\0'))
        {
            return "has no usable name";
        }

        var normalized = name.Replace('\\', '/');
        if (normalized.StartsWith('/') || (normalized.Length > 1 && normalized[1] == ':'))
        {
            return "is an absolute path";
        }

        foreach (var part in normalized.Split('/'))
        {
            if (part == "..")
            {
                return "climbs out of the package ('..')";
            }
        }

        return null;
    }

    /// <summary>The one folder every entry sits in, or null when files sit at the root (or in several folders).</summary>
    private static string? SingleTopFolder(ZipArchive archive)
    {
        string? top = null;
        foreach (var entry in archive.Entries)
        {
            var slash = entry.FullName.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0)
            {
                return null;
            }

            var first = entry.FullName[..slash];
            if (top is null)
            {
                top = first;
            }
            else if (!string.Equals(top, first, StringComparison.Ordinal))
            {
                return null;
            }
        }

        return top;
    }
}
