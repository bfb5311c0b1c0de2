using Gatehouse.Core.Config;
using Gatehouse.Gateway.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// DB-less mode: loads the declarative config file at start and reloads it when it changes. A
/// <see cref="FileSystemWatcher"/> gives prompt reloads; a timestamp/size poll catches events watchers miss
/// (editors that replace files, network and container file systems). Changes are debounced so a save that
/// writes in several steps is read once, whole.
/// </summary>
internal sealed partial class FileConfigWatcher : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);

    private readonly ConfigApplier _applier;
    private readonly GatewayOptions _options;
    private readonly ILogger<FileConfigWatcher> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private (DateTime Modified, long Length) _lastSeen;

    public FileConfigWatcher(ConfigApplier applier, IOptions<GatewayOptions> options, ILogger<FileConfigWatcher> logger, TimeProvider time)
    {
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
            await LoadAsync(Path.GetFullPath(path), cancellationToken);
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
                if (HasChanged(path))
                {
                    await Task.Delay(Debounce, _time, stoppingToken);
                    await LoadAsync(path, stoppingToken);
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

    private void Signal()
    {
        if (_changed.CurrentCount == 0)
        {
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another event already signalled; one reload covers both.
            }
        }
    }

    private bool HasChanged(string path)
    {
        var info = new FileInfo(path);
        var seen = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
        return seen != _lastSeen;
    }

    private async Task LoadAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        _lastSeen = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
        if (!info.Exists)
        {
            Log.FileMissing(_logger, path);
            return;
        }

        GatewayConfig config;
        try
        {
            config = ConfigLoader.LoadFile(path);
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
    }
}
