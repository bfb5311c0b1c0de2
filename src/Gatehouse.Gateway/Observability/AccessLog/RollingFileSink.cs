using System.Globalization;

namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// Appends lines to <c>{stem}-{yyyyMMdd}[_{n}]{ext}</c> next to the configured path: a new file at 00:00 UTC
/// (when rolling daily) and whenever the next line would pass the size limit. Old files are deleted by count and by
/// age after each roll and at most hourly while writing. All dates come from the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Written here rather than taken from Serilog's file sink: that sink rolls on the local wall clock from a clock
/// that cannot be injected (so date rolls cannot be tested without waiting for midnight), wants a Serilog
/// <c>LogEvent</c> per line, and the access log already has its own queue and writer thread. Not thread-safe: only
/// the access log's writer thread calls it.
/// </remarks>
internal sealed class RollingFileSink : IAccessLogSink
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromHours(1);

    private readonly string _directory;
    private readonly string _stem;
    private readonly string _extension;
    private readonly long _maxFileBytes;
    private readonly bool _rollDaily;
    private readonly int _retainFiles;
    private readonly TimeSpan? _retainAge;
    private readonly TimeProvider _time;
    private FileStream? _file;
    private DateOnly _day;
    private int _sequence;
    private long _size;
    private DateTimeOffset _nextSweep;

    /// <param name="path">Full path of the base file name.</param>
    public RollingFileSink(string path, long maxFileBytes, bool rollDaily, int retainFiles, int retainDays, TimeProvider time)
    {
        var full = System.IO.Path.GetFullPath(path);
        _directory = System.IO.Path.GetDirectoryName(full)!;
        _stem = System.IO.Path.GetFileNameWithoutExtension(full);
        _extension = System.IO.Path.GetExtension(full);
        _maxFileBytes = maxFileBytes;
        _rollDaily = rollDaily;
        _retainFiles = retainFiles;
        _retainAge = retainDays > 0 ? TimeSpan.FromDays(retainDays) : null;
        _time = time;
    }

    /// <summary>The configured base file name, made absolute.</summary>
    public string BasePath => System.IO.Path.Combine(_directory, _stem + _extension);

    /// <summary>The file being written; null before the first line.</summary>
    public string? CurrentPath => _file?.Name;

    public void Write(ReadOnlySpan<byte> line)
    {
        var now = _time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (_file is null)
        {
            Open(today, FindLastSequence(today), line.Length);
        }
        else if (_rollDaily && today != _day)
        {
            Open(today, FindLastSequence(today), line.Length);
        }
        else if (_maxFileBytes > 0 && _size > 0 && _size + line.Length > _maxFileBytes)
        {
            Open(_day, _sequence + 1, line.Length);
        }
        else if (now >= _nextSweep)
        {
            Sweep(now);
        }

        _file!.Write(line);
        _size += line.Length;
    }

    public void Flush() => _file?.Flush();

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <summary>Opens (appending) file <paramref name="sequence"/> of <paramref name="day"/>, or the next one if that is already full.</summary>
    private void Open(DateOnly day, int sequence, int nextLineLength)
    {
        _file?.Dispose();
        _file = null;
        Directory.CreateDirectory(_directory);
        while (true)
        {
            var path = System.IO.Path.Combine(_directory, FileName(day, sequence));
            var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
            if (_maxFileBytes > 0 && file.Length > 0 && file.Length + nextLineLength > _maxFileBytes)
            {
                // Left full by an earlier run: continue in the next one.
                file.Dispose();
                sequence++;
                continue;
            }

            _file = file;
            _size = file.Length;
            _day = day;
            _sequence = sequence;
            break;
        }

        Sweep(_time.GetUtcNow());
    }

    private string FileName(DateOnly day, int sequence)
    {
        var name = _stem;
        if (_rollDaily)
        {
            name += "-" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        }

        if (sequence > 0)
        {
            name += "_" + sequence.ToString("000", CultureInfo.InvariantCulture);
        }

        return name + _extension;
    }

    /// <summary>Highest sequence of <paramref name="day"/> already on disk, so a restart appends instead of starting over.</summary>
    private int FindLastSequence(DateOnly day)
    {
        var last = 0;
        foreach (var file in ListFiles())
        {
            if (file.Day == (_rollDaily ? day : (DateOnly?)null) && file.Sequence > last)
            {
                last = file.Sequence;
            }
        }

        return last;
    }

    /// <summary>Deletes files past the count limit (oldest first) and files last written longer ago than the age limit.</summary>
    private void Sweep(DateTimeOffset now)
    {
        _nextSweep = now + SweepInterval;
        if (_retainFiles <= 0 && _retainAge is null)
        {
            return;
        }

        var files = ListFiles();
        // Newest first: by date in the name, then by sequence.
        files.Sort(static (a, b) =>
        {
            var byDay = Nullable.Compare(b.Day, a.Day);
            return byDay != 0 ? byDay : b.Sequence.CompareTo(a.Sequence);
        });

        var current = _file?.Name;
        var kept = current is null ? 0 : 1;
        foreach (var file in files)
        {
            if (string.Equals(file.Path, current, StringComparison.Ordinal))
            {
                continue;
            }

            var tooMany = _retainFiles > 0 && kept >= _retainFiles;
            var tooOld = _retainAge is { } age && File.GetLastWriteTimeUtc(file.Path) < (now - age).UtcDateTime;
            if (tooMany || tooOld)
            {
                try
                {
                    File.Delete(file.Path);
                }
                catch (IOException)
                {
                    // Held open elsewhere (a reader on some systems): try again at the next sweep.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
            else
            {
                kept++;
            }
        }
    }

    private List<LogFile> ListFiles()
    {
        var result = new List<LogFile>();
        if (!Directory.Exists(_directory))
        {
            return result;
        }

        foreach (var path in Directory.EnumerateFiles(_directory, _stem + "*" + _extension))
        {
            if (TryParse(System.IO.Path.GetFileName(path), out var day, out var sequence))
            {
                result.Add(new LogFile(path, day, sequence));
            }
        }

        return result;
    }

    /// <summary>Recognises only names this sink makes, so other files in the directory are never deleted.</summary>
    internal bool TryParse(string fileName, out DateOnly? day, out int sequence)
    {
        day = null;
        sequence = 0;
        if (!fileName.StartsWith(_stem, StringComparison.Ordinal) || !fileName.EndsWith(_extension, StringComparison.Ordinal)
            || fileName.Length < _stem.Length + _extension.Length)
        {
            return false;
        }

        var middle = fileName.AsSpan(_stem.Length, fileName.Length - _stem.Length - _extension.Length);
        if (_rollDaily)
        {
            if (middle.Length < 9 || middle[0] != '-'
                || !DateOnly.TryParseExact(middle.Slice(1, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return false;
            }

            day = parsed;
            middle = middle[9..];
        }

        if (middle.IsEmpty)
        {
            return true;
        }

        return middle[0] == '_' && middle.Length > 1
            && int.TryParse(middle[1..], NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }

    private readonly record struct LogFile(string Path, DateOnly? Day, int Sequence);
}
