namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>An API's <c>protocol</c> and, with <c>protocol: dubbo</c> or <c>tars</c>, its <c>dubbo</c> or <c>tars</c> block.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><c>dubbo</c> is required with <c>protocol: dubbo</c> and not allowed without it; so is <c>tars</c> with <c>protocol: tars</c>.</item>
    /// <item><c>interface</c> a dotted Java name; <c>method</c> a Java identifier; <c>version</c> and <c>group</c>, when
    /// given, not blank and without spaces or commas.</item>
    /// <item><c>parameterTypes</c> Java type names (primitives, classes, <c>[]</c> arrays); <c>parameterNames</c>, when
    /// given, one per type, not blank, none repeated; <c>attachHeaders</c> header names, none repeated.</item>
    /// <item>A service's nodes speak one protocol: a Dubbo API needs <c>dubbo://</c> nodes, a Tars API <c>tars://</c>
    /// nodes, an HTTP API http(s) ones.</item>
    /// </list>
    /// </remarks>
    private static void ValidateApiProtocol(Errors errors, string entry, ApiConfig api, IReadOnlyList<NodeConfig> nodes)
    {
        var protocol = api.Protocol ?? ApiProtocol.Http;
        if (!Enum.IsDefined(protocol))
        {
            CheckEnum(errors, $"{entry}.protocol", protocol);
            return;
        }

        var dubbo = protocol == ApiProtocol.Dubbo;
        if (!dubbo && api.Dubbo is not null)
        {
            errors.Add($"{entry}.dubbo", "applies only to APIs with protocol: dubbo");
        }
        else if (dubbo && api.Dubbo is null)
        {
            errors.Add($"{entry}.dubbo", "is required with protocol: dubbo (interface, method, parameterTypes)");
        }
        else if (api.Dubbo is { } config)
        {
            ValidateDubbo(errors, $"{entry}.dubbo", config);
        }

        ValidateTarsBlock(errors, entry, api, protocol);

        // The scheme of the nodes each protocol needs; http and https are alike.
        var expected = protocol switch
        {
            ApiProtocol.Dubbo => NodeIdentity.DubboScheme,
            ApiProtocol.Tars => NodeIdentity.TarsScheme,
            _ => Uri.UriSchemeHttp,
        };
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] is not { } node || !NodeIdentity.TryParseAddress(node.Address, out var uri))
            {
                continue;
            }

            var scheme = uri.Scheme == Uri.UriSchemeHttps ? Uri.UriSchemeHttp : uri.Scheme;
            if (scheme != expected)
            {
                errors.Add($"{entry}.protocol", protocol switch
                {
                    ApiProtocol.Dubbo => $"a Dubbo API needs dubbo:// nodes, but node '{node.Address}' of this service is not one",
                    ApiProtocol.Tars => $"a Tars API needs tars:// nodes, but node '{node.Address}' of this service is not one",
                    _ => scheme == NodeIdentity.DubboScheme
                        ? $"node '{node.Address}' of this service is a Dubbo provider; an HTTP API cannot be forwarded to it (set protocol: dubbo)"
                        : $"node '{node.Address}' of this service is a Tars server; an HTTP API cannot be forwarded to it (set protocol: tars)",
                });
                break;
            }
        }
    }

    private static void ValidateDubbo(Errors errors, string entry, DubboApiConfig dubbo)
    {
        if (JavaTypeProblem(dubbo.Interface, allowArray: false) is { } interfaceProblem)
        {
            errors.Add($"{entry}.interface", interfaceProblem);
        }

        if (string.IsNullOrEmpty(dubbo.Method) || !IsJavaIdentifier(dubbo.Method))
        {
            errors.Add($"{entry}.method", $"'{dubbo.Method}' is not a Java method name");
        }

        CheckDubboLabel(errors, $"{entry}.version", dubbo.Version);
        CheckDubboLabel(errors, $"{entry}.group", dubbo.Group);
        var types = dubbo.ParameterTypes ?? [];
        for (var i = 0; i < types.Count; i++)
        {
            if (JavaTypeProblem(types[i], allowArray: true) is { } problem)
            {
                errors.Add(ConfigEntries.Index($"{entry}.parameterTypes", i), problem);
            }
        }

        if (dubbo.ParameterNames is { } names)
        {
            if (names.Count != types.Count)
            {
                errors.Add($"{entry}.parameterNames", $"names {names.Count} parameters, but parameterTypes declares {types.Count}");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(names[i]))
                {
                    errors.Add(ConfigEntries.Index($"{entry}.parameterNames", i), "parameter name must not be blank");
                }
                else if (!seen.Add(names[i]))
                {
                    errors.Add(ConfigEntries.Index($"{entry}.parameterNames", i), $"parameter name '{names[i]}' is listed twice");
                }
            }
        }

        CheckHeaderNames(errors, $"{entry}.attachHeaders", dubbo.AttachHeaders);
    }

    /// <summary>A list of request header names sent along with a call (Dubbo attachments, Tars context): tokens, none repeated.</summary>
    private static void CheckHeaderNames(Errors errors, string entry, IReadOnlyList<string>? names)
    {
        var headers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var list = names ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(list[i]) || !IsToken(list[i]))
            {
                errors.Add(ConfigEntries.Index(entry, i), $"'{list[i]}' is not a header name");
            }
            else if (!headers.Add(list[i]))
            {
                errors.Add(ConfigEntries.Index(entry, i), $"header '{list[i]}' is listed twice (names are compared ignoring case)");
            }
        }
    }

    private static void CheckDubboLabel(Errors errors, string entry, string? value)
    {
        if (value is not null && (value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || c == ',')))
        {
            errors.Add(entry, $"'{value}' must not be empty or contain spaces or commas; leave it out for none");
        }
    }

    /// <summary>Why <paramref name="type"/> is not a Java type name (primitive, dotted class name, optional <c>[]</c> pairs), or null.</summary>
    private static string? JavaTypeProblem(string? type, bool allowArray)
    {
        var name = type ?? "";
        while (allowArray && name.EndsWith("[]", StringComparison.Ordinal))
        {
            name = name[..^2];
        }

        if (name.Length > 0 && name.Split('.').All(IsJavaIdentifier))
        {
            return null;
        }

        return allowArray
            ? $"'{type}' is not a Java type name (e.g. java.lang.String, int, long[], com.example.Order)"
            : $"'{type}' is not a Java interface name (e.g. com.example.OrderService)";
    }

    private static bool IsJavaIdentifier(string part)
    {
        if (part.Length == 0 || !(char.IsLetter(part[0]) || part[0] is '_' or '$'))
        {
            return false;
        }

        foreach (var c in part)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '$'))
            {
                return false;
            }
        }

        return true;
    }
}
