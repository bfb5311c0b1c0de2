using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Admin.Api;

/// <summary>Which form of an export the caller asked for with <c>Accept</c>: JSON (the default) or YAML.</summary>
/// <remarks>
/// The media types are taken in order of their quality (<c>q</c>), ties in the order given; the first one that names
/// JSON (<c>application/json</c>, <c>application/*</c>, <c>*/*</c>) or YAML (<c>application/yaml</c>, <c>text/yaml</c>
/// and their <c>x-</c> forms) decides. Anything else is skipped, and a request that names neither gets JSON, as it did
/// before YAML existed, rather than 406: a browser or script that sends its own Accept still gets the export.
/// </remarks>
internal static class ExportFormats
{
    /// <summary>The YAML media type registered by RFC 9512.</summary>
    public const string Yaml = "application/yaml";

    /// <summary>The older YAML media type many tools still send.</summary>
    public const string TextYaml = "text/yaml";

    /// <summary>The YAML media type to answer with when the caller prefers YAML (the one it asked for), else null for JSON.</summary>
    public static string? PreferredYaml(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return null;
        }

        foreach (var type in accepted.Where(t => t.Quality is not 0).OrderByDescending(t => t.Quality ?? 1))
        {
            var name = type.MediaType.Value?.ToLowerInvariant();
            switch (name)
            {
                case "application/yaml" or "application/x-yaml":
                    return Yaml;
                case "text/yaml" or "text/x-yaml":
                    return TextYaml;
                case "application/json" or "application/*" or "*/*":
                    return null;
            }
        }

        return null;
    }
}
