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
