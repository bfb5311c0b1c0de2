using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin;

/// <summary>Settings of the admin service, bound from <c>Gatehouse:Admin</c>.</summary>
public sealed class AdminOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string Section = "Gatehouse:Admin";

    /// <summary>Key of the control secret shared with gateways (outside the admin section: both sides read it).</summary>
    public const string ControlSecretKey = "Gatehouse:ControlSecret";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    [Required]
    [AllowedValues("sqlite", "postgres")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>Connection string; for SQLite the directory of the file is created when missing.</summary>
    [Required]
    public string Database { get; set; } = "Data Source=./data/gatehouse.db";

    /// <summary>Fixed admin API token; when unset one is generated at first start and printed once.</summary>
    public string? Token { get; set; }
}

/// <summary>Checks <see cref="AdminOptions"/> at start (source-generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
}
