using System.Text;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// DB-less mode: loads the declarative config file at start and reloads it when it changes. A
/// <see cref="FileSystemWatcher"/> gives prompt reloads; a timestamp/size poll catches events watchers miss
/// (editors that replace files, network and container file systems).
/// </summary>
/// <remarks>
/// A file is applied only once it has settled: read, then read again after <see cref="GatewayOptions.ConfigSettleDelay"/>,
/// and applied only when size, time and content are the same both times; otherwise the wait starts over. A writer
/// that writes in place in several steps therefore never has its first part applied, even when that part is itself a
/// valid, smaller config (a file cut just after <c>auth:</c> is one, and it would drop every service after the cut).
/// The old file keeps serving meanwhile. Writers should still write a temporary file and rename it into place
/// (docs/configuration.md); a pause in writing longer than the settle delay cannot be told from a finished file.
/// </remarks>
internal sealed partial class FileConfigWatcher : BackgroundService
{
    // Editors and tools briefly hold the file or replace it (it may be missing for a moment); a few short retries of a
    // failed read ride over that, as the config loader's own reads do.
    private const int ReadAttempts = 5;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(5);

    private readonly ConfigApplier _applier;
    private readonly GatewayOptions _options;
    private readonly ILogger<FileConfigWatcher> _logger;
    private readonly TimeProvider _time;
    private readonly CoalescingSignal _changed = new();
    private FileStamp _lastSeen;

    private readonly Filters.Plugins.Loading.PluginRegistry? _plugins;

    /// <summary>1 when the plugins in force changed: a file rejected for naming a missing plugin is read again.</summary>
    private int _pluginsChanged;

    public FileConfigWatcher(ConfigApplier applier, IOptions<GatewayOptions> options, ILogger<FileConfigWatcher> logger, TimeProvider time,
        Filters.Plugins.Loading.PluginRegistry? plugins = null)
    {
        _plugins = plugins;
        if (plugins is not null)
        {
            plugins.CatalogChanged += () =>
            {
                Interlocked.Exchange(ref _pluginsChanged, 1);
                Signal();
            };
        }

        _applier = applier;
        _options = options.Value;
        _logger = logger;
        _time = time;
    }

    /// <summary>Loads the file once, before the server starts taking traffic, so the first request has a config.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.ConfigPath is { } path)
        {
            await LoadAsync(Path.GetFullPath(path), atStart: true, cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.ConfigPath is null)
        {
            return;
        }

        var path = Path.GetFullPath(_options.ConfigPath);
        using var watcher = CreateWatcher(path);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Wake on a watcher event or at the poll interval, whichever comes first.
                await _changed.WaitAsync(_options.ConfigPollInterval, stoppingToken);
                if (FileStamp.Of(path) != _lastSeen | Interlocked.Exchange(ref _pluginsChanged, 0) == 1)
                {
                    await LoadAsync(path, atStart: false, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // One bad iteration must not stop watching (an unhandled exception would stop the host).
                Log.WatchFailed(_logger, path, ex);
            }
        }
    }

    private FileSystemWatcher? CreateWatcher(string path)
    {
        try
        {
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler onChange = (_, _) => Signal();
            watcher.Changed += onChange;
            watcher.Created += onChange;
            watcher.Renamed += (_, _) => Signal();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            Log.WatcherUnavailable(_logger, path, ex.Message);
            return null;
        }
    }

    private void Signal() => _changed.Request();

    private async Task LoadAsync(string path, bool atStart, CancellationToken cancellationToken)
    {
        FileStamp stamp;
        byte[]? bytes;
        try
        {
            (stamp, bytes) = await ReadSettledAsync(path, atStart, cancellationToken);
        }
        catch (ConfigException ex)
        {
            // Unreadable: reported once, and tried again when the file changes, not at every poll.
            _lastSeen = FileStamp.Of(path);
            Log.FileRejected(_logger, path, ex.Message);
            return;
        }

        _lastSeen = stamp;
        if (bytes is null)
        {
            Log.FileMissing(_logger, path);
            return;
        }

        GatewayConfig config;
        try
        {
            config = ConfigLoader.TryGetFormat(path, out var format)
                ? ConfigLoader.Parse(Decode(bytes), path, format, _plugins?.Catalog)
                : ConfigLoader.LoadFile(path); // refuses the extension, with the loader's own message
        }
        catch (ConfigException ex)
        {
            Log.FileRejected(_logger, path, ex.Message);
            return;
        }

        try
        {
            await _applier.ApplyAsync(config, path, cancellationToken);
        }
        catch (ConfigException)
        {
            // The applier has logged it; the previous snapshot keeps serving.
        }
    }

    /// <summary>
    /// The file's content once it has stayed the same for the settle delay (null bytes: missing). At start a file last
    /// written longer ago than the delay is taken at once, so an ordinary start is not slowed down.
    /// </summary>
    private async Task<(FileStamp Stamp, byte[]? Bytes)> ReadSettledAsync(string path, bool atStart, CancellationToken cancellationToken)
    {
        var settle = _options.ConfigSettleDelay;
        var (stamp, bytes) = await ReadAsync(path, cancellationToken);
        if (settle <= TimeSpan.Zero || (atStart && stamp != FileStamp.Changing && (bytes is null || _time.GetUtcNow().UtcDateTime - stamp.Modified >= settle)))
        {
            return (stamp, bytes);
        }

        var logged = false;
        while (true)
        {
            await Task.Delay(settle, _time, cancellationToken);
            var (again, againBytes) = await ReadAsync(path, cancellationToken);
            if (again == stamp && again != FileStamp.Changing && (bytes is null ? againBytes is null : againBytes is not null && bytes.AsSpan().SequenceEqual(againBytes)))
            {
                return (again, againBytes);
            }

            if (!logged)
            {
                Log.FileStillChanging(_logger, path, settle.TotalMilliseconds);
                logged = true;
            }

            (stamp, bytes) = (again, againBytes);
        }
    }

    /// <summary>The file's stamp and bytes, the stamp taken before the read and checked after it (null bytes: missing).</summary>
    private async Task<(FileStamp Stamp, byte[]? Bytes)> ReadAsync(string path, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = FileStamp.Of(path);
            if (before.Length < 0)
            {
                return (before, null);
            }

            try
            {
                // FileShare.ReadWrite | Delete: never stand in the way of the editor or tool that is writing the file.
                byte[] bytes;
                await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy, cancellationToken);
                    bytes = copy.ToArray();
                }

                // A write during the read shows in the stamp; the next settle round then sees the difference.
                return (FileStamp.Of(path) == before ? before : FileStamp.Changing, bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && attempt < ReadAttempts)
            {
                await Task.Delay(RetryDelay * attempt, _time, cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                return (FileStamp.Missing, null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException([new ConfigError(path, "(document)", $"cannot read the file: {ex.Message}")]);
            }
        }
    }

    private static string Decode(byte[] bytes)
    {
        // As the config loader reads files: UTF-8 unless a byte order mark says otherwise.
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>What is compared between polls: last write time and length (length -1: missing).</summary>
    private readonly record struct FileStamp(DateTime Modified, long Length)
    {
        public static readonly FileStamp Missing = new(DateTime.MinValue, -1);

        /// <summary>Never equal to a real stamp: the file changed while it was read.</summary>
        public static readonly FileStamp Changing = new(DateTime.MinValue, -2);

        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : Missing;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Config file {Path} was rejected; the previous config keeps serving. {Problems}")]
        public static partial void FileRejected(ILogger logger, string path, string problems);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Config file {Path} does not exist; requests get 503 no_config until it does")]
        public static partial void FileMissing(ILogger logger, string path);

        [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Cannot watch {Path} ({Reason}); relying on polling")]
        public static partial void WatcherUnavailable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 3104, Level = LogLevel.Error, Message = "Watching config file {Path} failed; will retry")]
        public static partial void WatchFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = 3105, Level = LogLevel.Information,
            Message = "Config file {Path} is still being written; it is applied once it stays unchanged for {SettleMs} ms (the previous config keeps serving)")]
        public static partial void FileStillChanging(ILogger logger, string path, double settleMs);
    }
}
