using System.Text.Json;
using Gatehouse.Core.Text;

namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>Most filters of one policy level; a longer list is a config generator gone wrong, not a pipeline.</summary>
    private const int MaxFilters = 32;

    /// <summary><c>policy.filters</c> at any level: <paramref name="entry"/> is the list, e.g. <c>global.filters</c>.</summary>
    /// <remarks>
    /// <para>Each entry names a plugin of the catalog the config is validated with (names are case-sensitive); an
    /// unknown name is reported with the closest known name, or the list of known names.</para>
    /// <para>Settings, when given, must be a mapping; the plugin's own validator checks them and its errors are
    /// reported under <c>filters[i].settings.…</c>. A plugin's validator that throws is reported as an error of the
    /// entry rather than taking validation down.</para>
    /// </remarks>
    private static void ValidateFilters(Errors errors, string entry, IReadOnlyList<FilterConfig> filters)
    {
        if (filters.Count > MaxFilters)
        {
            errors.Add(entry, $"{filters.Count} filters; the limit is {MaxFilters} per level");
        }

        for (var i = 0; i < filters.Count; i++)
        {
            var item = ConfigEntries.Index(entry, i);
            var filter = filters[i];
            if (string.IsNullOrWhiteSpace(filter.Name))
            {
                errors.Add($"{item}.name", $"name is required; known plugins: {KnownPlugins(errors)}");
                continue;
            }

            if (Gatehouse.Plugins.GatewayFilterNames.ConfiguredBy(filter.Name) is { } member)
            {
                // The gateway's own mechanisms keep their dedicated members: they merge across levels and run at fixed points.
                errors.Add($"{item}.name", $"'{filter.Name}' is configured by policy.{member}, not by filters");
                continue;
            }

            if (!errors.Plugins.TryGet(filter.Name, out var factory))
            {
                errors.Add($"{item}.name", $"unknown plugin '{filter.Name}'{SuggestPlugin(errors, filter.Name)}");
                continue;
            }

            var settings = filter.Settings ?? default;
            if (settings.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
            {
                errors.Add($"{item}.settings", "expected a mapping (key: value pairs)");
                continue;
            }

            IReadOnlyList<Gatehouse.Plugins.PluginSettingError> problems;
            try
            {
                problems = factory.Validate(settings.ValueKind == JsonValueKind.Null ? default : settings);
            }
            catch (Exception ex)
            {
                errors.Add($"{item}.settings", $"plugin '{filter.Name}' failed to check its settings: {ex.Message}");
                continue;
            }

            foreach (var problem in problems)
            {
                errors.Add(SettingsEntry($"{item}.settings", problem.Field), problem.Message);
            }
        }
    }

    /// <summary><c>…settings</c> + <c>origins[1]</c> → <c>…settings.origins[1]</c>; <c>[x]</c> attaches without a dot.</summary>
    private static string SettingsEntry(string settings, string field) =>
        field.Length == 0 ? settings : field[0] == '[' ? settings + field : $"{settings}.{field}";

    private static string SuggestPlugin(Errors errors, string name)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var known in errors.Plugins.Names)
        {
            var distance = EditDistance.Between(known, name.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (known, distance);
            }
        }

        return best is not null && bestDistance <= 2
            ? $" (did you mean '{best}'?); known plugins: {KnownPlugins(errors)}"
            : $"; known plugins: {KnownPlugins(errors)}";
    }

    private static string KnownPlugins(Errors errors) =>
        errors.Plugins.Names.Count == 0 ? "(none)" : string.Join(", ", errors.Plugins.Names);
}
