namespace Gatehouse.Admin.Publishing;

/// <summary>What a write is about, for its audit row: the action and the entry it changes.</summary>
/// <param name="Action">E.g. <c>service.create</c>, <c>node.offline</c>, <c>import</c>, <c>rollback</c>.</param>
/// <param name="EntityKind">One of <see cref="AuditKinds"/>; decides which JSON is kept as before and after.</param>
/// <param name="EntityId">Service name, mapping id, set tag, or the group name for group-wide kinds.</param>
/// <param name="SourceVersion">For a rollback, the version being restored.</param>
internal sealed record AuditTarget(string Action, string EntityKind, string EntityId, long? SourceVersion = null);

/// <summary>The entity kinds of the audit log.</summary>
internal static class AuditKinds
{
    /// <summary>The whole group config (create, delete, import, rollback); before/after are whole snapshots.</summary>
    public const string Group = "group";

    /// <summary>One service, keyed by name; node switches are recorded as changes of their service.</summary>
    public const string Service = "service";

    /// <summary>One origin mapping, keyed by its generated id.</summary>
    public const string OriginMapping = "originMapping";

    /// <summary>One service set, keyed by tag.</summary>
    public const string ServiceSet = "serviceSet";

    /// <summary>The group's global policy, keyed by the group name.</summary>
    public const string GlobalPolicy = "globalPolicy";

    /// <summary>One app, keyed by appKey; before/after hold its fields and <c>secretSet</c>, never the secret.</summary>
    public const string App = "app";
}
