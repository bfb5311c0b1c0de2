namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>An API's <c>protocol</c> and, with <c>protocol: dubbo</c>, its <c>dubbo</c> block.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><c>dubbo</c> is required with <c>protocol: dubbo</c> and not allowed without it.</item>
    /// <item><c>interface</c> a dotted Java name; <c>method</c> a Java identifier; <c>version</c> and <c>group</c>, when
    /// given, not blank and without spaces or commas.</item>
    /// <item><c>parameterTypes</c> Java type names (primitives, classes, <c>[]</c> arrays); <c>parameterNames</c>, when
    /// given, one per type, not blank, none repeated; <c>attachHeaders</c> header names, none repeated.</item>
    /// <item>A service's nodes speak one protocol: a Dubbo API needs <c>dubbo://</c> nodes, an HTTP API http(s) ones.</item>
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

        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] is not { } node || !NodeIdentity.TryParseAddress(node.Address, out var uri))
            {
                continue;
            }

            if ((uri.Scheme == NodeIdentity.DubboScheme) != dubbo)
            {
                errors.Add($"{entry}.protocol", dubbo
                    ? $"a Dubbo API needs dubbo:// nodes, but node '{node.Address}' of this service is not one"
                    : $"node '{node.Address}' of this service is a Dubbo provider; an HTTP API cannot be forwarded to it (set protocol: dubbo)");
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

        var headers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var attach = dubbo.AttachHeaders ?? [];
        for (var i = 0; i < attach.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(attach[i]) || !IsToken(attach[i]))
            {
                errors.Add(ConfigEntries.Index($"{entry}.attachHeaders", i), $"'{attach[i]}' is not a header name");
            }
            else if (!headers.Add(attach[i]))
            {
                errors.Add(ConfigEntries.Index($"{entry}.attachHeaders", i), $"header '{attach[i]}' is listed twice (names are compared ignoring case)");
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
