using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Monitoring;

/// <summary>Settings of alert evaluation and delivery, bound from <c>Gatehouse:Admin:Alerts</c>.</summary>
public sealed class AlertOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string Section = "Gatehouse:Admin:Alerts";

    /// <summary>
    /// Whether this admin evaluates rules (default true). With several admins, turn it on for one only: each admin
    /// evaluates its own statistics, so two evaluators would notify twice and see different traffic.
    /// </summary>
    public bool Evaluate { get; set; } = true;

    /// <summary>How often every enabled rule is evaluated (default 15 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts per webhook notification, the first included (default 3).</summary>
    [Range(1, 10)]
    public int WebhookAttempts { get; set; } = 3;

    /// <summary>Wait before the second attempt; doubles for each one after (default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan WebhookBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one webhook attempt may take (default 5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="AlertOptions"/> at start (source-generated from its attributes).</summary>
[OptionsValidator]
internal sealed partial class AlertOptionsValidator : IValidateOptions<AlertOptions>
{
}
