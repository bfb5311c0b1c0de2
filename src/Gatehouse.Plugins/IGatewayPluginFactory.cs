using System.Text.Json;

namespace Gatehouse.Plugins;

/// <summary>
/// A named kind of filter, referenced by config as <c>policy.filters: [{ name: …, settings: {…} }]</c>. The factory
/// checks settings when a config is validated (by the admin, <c>gatehouse validate</c> and the gateway alike) and
/// creates the filter when the gateway compiles a snapshot.
/// </summary>
public interface IGatewayPluginFactory
{
    /// <summary>The name config uses, e.g. <c>cors</c>: lower case letters, digits and '-'; unique in a catalog.</summary>
    string Name { get; }

    /// <summary>
    /// Checks <paramref name="settings"/> (the <c>settings</c> value of the config entry: an object, or a value of
    /// kind <see cref="JsonValueKind.Undefined"/> when the entry has none). Returns every problem found, not just the
    /// first; an empty list when the settings are valid. Must not throw for any input.
    /// </summary>
    IReadOnlyList<PluginSettingError> Validate(JsonElement settings);

    /// <summary>
    /// Creates the filter for settings that passed <see cref="Validate"/>. Called once per API that uses it each
    /// time a snapshot is compiled, never per request; the settings element stays valid after the call.
    /// </summary>
    IGatewayPlugin Create(JsonElement settings);
}

/// <summary>One problem with a filter's settings.</summary>
/// <param name="Field">
/// Where, relative to <c>settings</c>, in the config's entry syntax: <c>origins</c>, <c>origins[1]</c>,
/// <c>request.set[X-Foo]</c>; empty for the settings as a whole. The validator prefixes the filter's entry, giving
/// e.g. <c>services[orders].apis[get].policy.filters[0].settings.origins[1]</c>.
/// </param>
/// <param name="Message">What is wrong, phrased for an operator.</param>
public sealed record PluginSettingError(string Field, string Message);
