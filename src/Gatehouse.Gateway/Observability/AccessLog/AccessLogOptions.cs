using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Observability.AccessLog;

/// <summary>
/// The access log of one gateway node (section <c>Gatehouse:Gateway:AccessLog</c>): one JSON line per request,
/// written by a background thread into rolling files. Off by default; see docs/configuration.md.
/// </summary>
public sealed class AccessLogOptions
{
    public const string Section = "Gatehouse:Gateway:AccessLog";

    /// <summary>
    /// Off by default: a gateway writes nothing to disk unless asked, and several nodes (or test hosts) sharing a
    /// working directory would otherwise share one file.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Base file name; relative paths are under the content root. <c>logs/access.log</c> becomes
    /// <c>logs/access-20260101.log</c>, then <c>logs/access-20260101_001.log</c> once the size limit is reached.
    /// </summary>
    public string Path { get; set; } = "logs/access.log";

    /// <summary>Entries waiting for the writer; rounded up to a power of two. A request finding it full drops its entry.</summary>
    public int QueueCapacity { get; set; } = 16384;

    /// <summary>A file that would grow past this many bytes is closed and the next one started; 0: no size limit.</summary>
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Start a new file at 00:00 UTC (the date is in the file name).</summary>
    public bool RollDaily { get; set; } = true;

    /// <summary>Keep at most this many files (the current one included); 0: no limit by count.</summary>
    public int RetainFiles { get; set; } = 31;

    /// <summary>Delete files last written more than this many days ago; 0: no limit by age.</summary>
    public int RetainDays { get; set; } = 14;

    /// <summary>Log the query string with the path. Off by default: queries often carry tokens and personal data.</summary>
    public bool IncludeQuery { get; set; }
}

/// <summary>Checks every field at start and reports all errors at once, each named by its configuration key.</summary>
internal sealed class AccessLogOptionsValidator : IValidateOptions<AccessLogOptions>
{
    /// <summary>Largest queue: 2^24 entries (about 2 GiB of slots) is already past any sensible burst.</summary>
    public const int MaxQueueCapacity = 1 << 24;

    public ValidateOptionsResult Validate(string? name, AccessLogOptions options)
    {
        var errors = new List<string>();
        if (options.Enabled && string.IsNullOrWhiteSpace(options.Path))
        {
            errors.Add($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.Path)} must name a file when the access log is enabled.");
        }

        if (options.QueueCapacity is < 1 or > MaxQueueCapacity)
        {
            errors.Add($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.QueueCapacity)} must be between 1 and {MaxQueueCapacity} (was {options.QueueCapacity}).");
        }

        if (options.MaxFileBytes < 0 || (options.MaxFileBytes > 0 && options.MaxFileBytes < 4096))
        {
            errors.Add($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.MaxFileBytes)} must be 0 (no limit) or at least 4096 (was {options.MaxFileBytes}).");
        }

        if (options.RetainFiles < 0)
        {
            errors.Add($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.RetainFiles)} must be 0 (no limit) or more (was {options.RetainFiles}).");
        }

        if (options.RetainDays < 0)
        {
            errors.Add($"{AccessLogOptions.Section}:{nameof(AccessLogOptions.RetainDays)} must be 0 (no limit) or more (was {options.RetainDays}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
