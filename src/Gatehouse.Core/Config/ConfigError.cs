namespace Gatehouse.Core.Config;

/// <summary>One problem found in a config: where (source file, entry path) and what.</summary>
/// <param name="Source">File name or other origin, e.g. <c>gatehouse.yaml</c>; null when not from a file.</param>
/// <param name="Entry">Path to the entry, e.g. <c>services[orders].apis[get-order].path</c>.</param>
/// <param name="Message">What is wrong, phrased for an operator.</param>
public sealed record ConfigError(string? Source, string Entry, string Message)
{
    public override string ToString() => Source is null ? $"{Entry}: {Message}" : $"{Source}: {Entry}: {Message}";
}

/// <summary>A config was rejected as a whole; <see cref="Errors"/> lists every problem found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<ConfigError> Errors { get; }

    private static string BuildMessage(IReadOnlyList<ConfigError> errors) =>
        errors.Count == 1
            ? $"Invalid config: {errors[0]}"
            : $"Invalid config ({errors.Count} problems):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors);
}
