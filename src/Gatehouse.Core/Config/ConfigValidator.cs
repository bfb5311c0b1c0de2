namespace Gatehouse.Core.Config;

/// <summary>
/// Checks a <see cref="GatewayConfig"/> for everything the type system cannot: required and unique names, addresses,
/// path patterns, references between entries and value ranges. Collects every problem; never stops at the first.
/// </summary>
/// <remarks>
/// <para>Entries name list items by their name or id when they have one, else by index:
/// <c>services[orders].nodes[orders-1].address</c>, <c>originMappings[2].service</c>,
/// <c>serviceSets[mobile].services[1]</c>, <c>global.loadBalancer.hashKey.name</c>. A node without an id is named by
/// <see cref="NodeIdentity.EffectiveId(NodeConfig)"/>.</para>
/// <para>Rules, by area (each file's remarks give the detail):</para>
/// <list type="bullet">
/// <item><c>version</c> ≥ 0; <c>group</c>, when given, is a valid name (see below).</item>
/// <item>Names (service names, groups, service set tags): required, at most 128 characters of <c>[A-Za-z0-9._-]</c>,
/// unique ignoring case. References to services (mappings, service sets) must match a service name exactly; a
/// match that differs only in case is reported with the right spelling.</item>
/// <item>Services, nodes and APIs: <see cref="ValidateServices"/>. Origin mappings and service sets:
/// <see cref="ValidateOriginMappings"/>, <see cref="ValidateServiceSets"/>. Policies: <see cref="ValidatePolicy"/>.</item>
/// <item>Enum members hold defined values (a config built in code can hold any number).</item>
/// </list>
/// </remarks>
public static partial class ConfigValidator
{
    private const int MaxNameLength = 128;
    private const int MaxIdLength = 256;

    /// <summary>Returns every problem in <paramref name="config"/>; empty when it is valid.</summary>
    /// <param name="config">The config to check.</param>
    /// <param name="source">Put in every error's <see cref="ConfigError.Source"/>, e.g. the file name.</param>
    /// <param name="plugins">
    /// The plugin filters <c>policy.filters</c> may name, with their settings validators; null for the built-ins
    /// (<see cref="Gatehouse.Plugins.PluginCatalog.BuiltIn"/>). A gateway with plugins of its own passes its catalog.
    /// </param>
    public static IReadOnlyList<ConfigError> Validate(GatewayConfig config, string? source, Gatehouse.Plugins.PluginCatalog? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new Errors(source, plugins ?? Gatehouse.Plugins.PluginCatalog.BuiltIn);
        if (config.Version < 0)
        {
            errors.Add("version", $"must be 0 or greater, got {config.Version}");
        }

        if (config.Group is not null)
        {
            CheckName(errors, "group", config.Group, "group");
        }

        if (config.Global is not null)
        {
            ValidatePolicy(errors, "global", config.Global);
        }

        var services = ValidateServices(errors, config.Services ?? []);
        ValidateOriginMappings(errors, config.OriginMappings ?? [], services);
        ValidateServiceSets(errors, config.ServiceSets ?? [], services);
        ValidateApps(errors, config.Apps ?? [], services);
        return errors.List;
    }

    /// <summary>Name rule shared by services, groups and service set tags: they end up in headers, logs and metrics.</summary>
    private static bool CheckName(Errors errors, string entry, string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(entry, $"{what} is required");
            return false;
        }

        if (name.Length > MaxNameLength)
        {
            errors.Add(entry, $"{what} is {name.Length} characters long; the limit is {MaxNameLength}");
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                errors.Add(entry, $"{what} '{name}' may contain only letters, digits, '.', '_' and '-'");
                return false;
            }
        }

        return true;
    }

    /// <summary>Id rule for node and API ids: free-form, but one token, as ids key logs, metrics and health state.</summary>
    private static bool CheckId(Errors errors, string entry, string? id, string what)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            errors.Add(entry, $"{what} is required");
            return false;
        }

        if (id.Length > MaxIdLength)
        {
            errors.Add(entry, $"{what} is {id.Length} characters long; the limit is {MaxIdLength}");
            return false;
        }

        if (id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add(entry, $"{what} '{id}' must not contain spaces or control characters");
            return false;
        }

        return true;
    }

    private static void CheckEnum<T>(Errors errors, string entry, T value)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add(entry, $"'{value}' is not a valid {typeof(T).Name} value");
        }
    }

    /// <summary>Reports a reference to a service that does not exist, suggesting the right spelling when only case differs.</summary>
    private static void CheckServiceReference(Errors errors, string entry, string? name, ServiceNames services)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(entry, "service name is required");
        }
        else if (!services.Exact.Contains(name))
        {
            var suggestion = services.ByLowerCase.TryGetValue(name, out var actual)
                ? $"; did you mean '{actual}'? (references must match the name exactly)"
                : "";
            errors.Add(entry, $"service '{name}' is not defined in services{suggestion}");
        }
    }

    /// <summary>RFC 9110 §5.6.2 token: what a method or header name may consist of.</summary>
    private static bool IsToken(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    private sealed class Errors(string? source, Gatehouse.Plugins.PluginCatalog plugins)
    {
        public List<ConfigError> List { get; } = [];

        /// <summary>The plugin filters config may name (<see cref="ValidateFilters"/>).</summary>
        public Gatehouse.Plugins.PluginCatalog Plugins { get; } = plugins;

        public void Add(string entry, string message) => List.Add(new ConfigError(source, entry, message));
    }

    /// <summary>Service names defined in the config, for reference checks.</summary>
    private sealed class ServiceNames
    {
        public HashSet<string> Exact { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> ByLowerCase { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
