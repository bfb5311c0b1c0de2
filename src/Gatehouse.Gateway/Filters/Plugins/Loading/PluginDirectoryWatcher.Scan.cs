using System.Text;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Plugins.Loading;

/// <summary>The watcher's view of the directory: folder fingerprints, the file watcher and its log.</summary>
internal sealed partial class PluginDirectoryWatcher
{
    private bool HasChanges(Dictionary<string, string> scan)
    {
        foreach (var (folder, fingerprint) in scan)
        {
            if (!_seen.TryGetValue(folder, out var seen) || seen != fingerprint)
            {
                return true;
            }
        }

        foreach (var folder in _seen.Keys)
        {
            if (!scan.ContainsKey(folder))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Same(Dictionary<string, string> a, Dictionary<string, string> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var (folder, fingerprint) in a)
        {
            if (!b.TryGetValue(folder, out var other) || other != fingerprint)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Plugin folders and their fingerprints (every file's relative path, size and write time); empty folders are not plugins yet.</summary>
    internal static Dictionary<string, string> Scan(string directory)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(directory))
        {
            return result;
        }

        foreach (var folder in Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith('.'))
            {
                continue;
            }

            try
            {
                var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
                if (files.Length == 0)
                {
                    continue;
                }

                Array.Sort(files, StringComparer.Ordinal);
                var fingerprint = new StringBuilder();
                foreach (var file in files)
                {
                    var info = new FileInfo(file);
                    fingerprint.Append(Path.GetRelativePath(folder, file)).Append('|').Append(info.Length).Append('|')
                        .Append(info.LastWriteTimeUtc.Ticks).Append('\n');
                }

                result[name] = fingerprint.ToString();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Being removed or replaced right now: the next pass sees how it ends up.
            }
        }

        return result;
    }

    private FileSystemWatcher? CreateWatcher(string directory)
    {
        if (!Directory.Exists(directory))
        {
            Log.WatcherUnavailable(_logger, directory, "the directory does not exist");
            return null;
        }

        try
        {
            var watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler onChange = (_, _) => Signal();
            watcher.Changed += onChange;
            watcher.Created += onChange;
            watcher.Deleted += onChange;
            watcher.Renamed += (_, _) => Signal();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            Log.WatcherUnavailable(_logger, directory, ex.Message);
            return null;
        }
    }

    private void Signal() => _changed.Request();

    private static partial class Log
    {
        [LoggerMessage(EventId = 6110, Level = LogLevel.Warning, Message = "Plugins directory {Directory} does not exist; plugins put there later are loaded")]
        public static partial void DirectoryMissing(ILogger logger, string directory);

        [LoggerMessage(EventId = 6111, Level = LogLevel.Warning, Message = "Cannot watch plugins directory {Directory} ({Reason}); relying on polling")]
        public static partial void WatcherUnavailable(ILogger logger, string directory, string reason);

        [LoggerMessage(EventId = 6112, Level = LogLevel.Error, Message = "Watching plugins directory {Directory} failed; will retry")]
        public static partial void PassFailed(ILogger logger, string directory, Exception exception);

        [LoggerMessage(EventId = 6113, Level = LogLevel.Information,
            Message = "Plugins directory {Directory} is still being written; a folder is loaded once it stays unchanged for {SettleMs} ms")]
        public static partial void StillChanging(ILogger logger, string directory, double settleMs);
    }
}
