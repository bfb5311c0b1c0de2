using Microsoft.AspNetCore.Http;

namespace Gatehouse.Admin.Security;

/// <summary>Who the audit log names for the current write: the authenticated user, <c>registry</c>, or <c>system</c>.</summary>
internal sealed class CurrentActor(IHttpContextAccessor accessor)
{
    /// <summary>The actor of writes made outside a request (the registry sweeper expiring nodes).</summary>
    public const string System = "system";

    public string Name => accessor.HttpContext?.Principal()?.Name ?? System;
}
