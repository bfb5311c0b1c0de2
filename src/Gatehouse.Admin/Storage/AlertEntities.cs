namespace Gatehouse.Admin.Storage;

/// <summary>An alert rule of a group (table <c>alert_rules</c>); see docs/admin-api.md, "Alerts".</summary>
internal sealed class AlertRuleEntity
{
    public string Group { get; set; } = "";

    /// <summary>Generated, unique within the group.</summary>
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>One of <c>Monitoring.AlertKinds</c>.</summary>
    public string Kind { get; set; } = "";

    public string? Service { get; set; }

    public string? Api { get; set; }

    /// <summary>Gateway node filter of the traffic kinds.</summary>
    public string? Node { get; set; }

    /// <summary>Percent for <c>errorRate</c> and <c>qpsDrop</c>, milliseconds for <c>p99Latency</c>, a count for the node kinds.</summary>
    public double Threshold { get; set; }

    public int WindowSeconds { get; set; }

    public long MinRequests { get; set; }

    /// <summary>For <c>gatewayNotConverged</c>: how long a gateway may lag behind the latest version.</summary>
    public int ForSeconds { get; set; }

    public int CooldownSeconds { get; set; }

    public string WebhookUrl { get; set; } = "";

    public bool Enabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One episode of a rule's condition holding (table <c>alerts</c>): fired, then resolved; acknowledged by an operator.</summary>
internal sealed class AlertEntity
{
    /// <summary>Generated, increasing.</summary>
    public long Id { get; set; }

    public string Group { get; set; } = "";

    public string RuleId { get; set; } = "";

    public string RuleName { get; set; } = "";

    public string Kind { get; set; } = "";

    /// <summary><c>firing</c> or <c>resolved</c>.</summary>
    public string State { get; set; } = "";

    /// <summary>The measured value when it fired (percent, ms or a count, as the rule's threshold).</summary>
    public double Value { get; set; }

    public double Threshold { get; set; }

    /// <summary>What was measured, e.g. which gateways lag behind; for people, not for parsing.</summary>
    public string Detail { get; set; } = "";

    public DateTimeOffset FiredAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>When a notification about this alert (firing or resolved) last went out; null when cool-down suppressed it.</summary>
    public DateTimeOffset? NotifiedAt { get; set; }

    public DateTimeOffset? AckedAt { get; set; }

    public string? AckedBy { get; set; }
}
