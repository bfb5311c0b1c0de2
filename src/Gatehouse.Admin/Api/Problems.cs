using Gatehouse.Core.Config;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Admin.Api;

/// <summary>The problem responses of the admin API (RFC 9457), in one place so titles and codes stay consistent.</summary>
internal static class Problems
{
    /// <summary>404: the addressed group, service, node, entry or version does not exist.</summary>
    public static ProblemHttpResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>409: a stale revision, a duplicate, or a concurrent write.</summary>
    public static ProblemHttpResult Conflict(string detail) => Create(StatusCodes.Status409Conflict, "Conflict", detail);

    /// <summary>428: an update that did not say which revision it is based on.</summary>
    public static ProblemHttpResult PreconditionRequired(string detail) =>
        Create(StatusCodes.Status428PreconditionRequired, "Revision required", detail);

    /// <summary>401: no or a wrong admin token, or a missing or bad control signature.</summary>
    public static ProblemHttpResult Unauthorized(string detail) => Create(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    /// <summary>403: the caller is known but its role (or a missing CSRF header) does not allow this.</summary>
    public static ProblemHttpResult Forbidden(string detail) => Create(StatusCodes.Status403Forbidden, "Forbidden", detail);

    /// <summary>401 with <c>code: locked</c>: the user is locked out after repeated failed logins until <paramref name="until"/>.</summary>
    public static ProblemHttpResult Locked(string user, DateTimeOffset until) => TypedResults.Problem(
        detail: $"user '{user}' is locked after too many failed logins until {until:yyyy-MM-dd HH:mm:ss} UTC; "
            + "wait until then, or ask an admin to unlock it (POST /api/v1/users/{name}/unlock)",
        statusCode: StatusCodes.Status401Unauthorized, title: "Locked",
        extensions: new Dictionary<string, object?> { ["code"] = "locked", ["lockedUntil"] = until });

    /// <summary>
    /// 409 with <c>code: stale_revision</c>: the entry is at <paramref name="current"/>, the change was based on
    /// <paramref name="given"/>. <see cref="Publishing.ConfigWriter"/> adds who changed it meanwhile.
    /// </summary>
    public static ProblemHttpResult Stale(string what, long current, long given, string? changedBy = null, DateTimeOffset? changedAt = null)
    {
        var by = changedBy is null ? "" : $" by {changedBy}{(changedAt is { } at ? $" at {at:yyyy-MM-dd HH:mm:ss} UTC" : "")}";
        var extensions = new Dictionary<string, object?> { ["code"] = StaleCode, ["what"] = what, ["currentRevision"] = current, ["givenRevision"] = given };
        if (changedBy is not null)
        {
            extensions["changedBy"] = changedBy;
            extensions["changedAt"] = changedAt;
        }

        return TypedResults.Problem(
            detail: $"{what} was changed meanwhile{by}: it is at revision {current}, the change was based on revision {given}; reload and retry",
            statusCode: StatusCodes.Status409Conflict, title: "Conflict", extensions: extensions);
    }

    /// <summary>The <c>code</c> of a stale-revision conflict.</summary>
    public const string StaleCode = "stale_revision";

    /// <summary>One validation problem whose <c>errors</c> map is keyed by config entry path, every message kept.</summary>
    public static ValidationProblem Invalid(IEnumerable<ConfigError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Entry, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            detail: "The change would make the group's config invalid; nothing was changed.");

    /// <summary>A validation problem about one request field (not a config entry), e.g. <c>limit</c>.</summary>
    public static ValidationProblem InvalidField(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static ProblemHttpResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
