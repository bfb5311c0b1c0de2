using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Plugins.BuiltIn.Cache;

/// <summary>The Cache-Control directives a shared cache acts on (RFC 9111 §5.2), parsed by ASP.NET Core's header parser.</summary>
internal readonly record struct CacheControl(bool NoStore, bool NoCache, bool Private, bool Public, TimeSpan? MaxAge, TimeSpan? SharedMaxAge)
{
    public static CacheControl Parse(StringValues values)
    {
        if (values.Count == 0 || !CacheControlHeaderValue.TryParse(values.ToString(), out var parsed) || parsed is null)
        {
            return default;
        }

        return new CacheControl(parsed.NoStore, parsed.NoCache, parsed.Private, parsed.Public, parsed.MaxAge, parsed.SharedMaxAge);
    }
}
