using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Gatehouse.Core.Config;

/// <summary>
/// What policy applies to one API and which level it comes from: every member of <see cref="PolicyConfig"/>,
/// found by walking the serializer's contract, so members added to the model show up without changes here.
/// </summary>
/// <remarks>
/// <para>How a member merges is read from its type, the same rules the gateway applies when it compiles a snapshot:</para>
/// <list type="bullet">
/// <item>A type marked <see cref="StackedPolicyAttribute"/> (rate limits) is not merged: every level that sets one
/// applies, and all are listed, outermost first (<c>merge: stack</c>).</item>
/// <item>An object whose members are all optional (<c>routing</c>, <c>timeouts</c>, <c>retry</c>) merges field by
/// field: each field is its own entry, e.g. <c>timeouts.connectMs</c>.</item>
/// <item>Anything else (an object with a required member such as <c>loadBalancer.kind</c> or
/// <c>canary.percent</c>, a type marked <see cref="MergedWholePolicyAttribute"/>, or a plain value) is taken as a whole from the innermost level that sets it
/// (<c>merge: override</c>).</item>
/// </list>
/// <para>Levels, innermost first: <c>api</c>, <c>service</c>, <c>global</c>, then <c>default</c> (the built-in value
/// from <see cref="PolicyDefaults"/>, or null when the member has no fixed default and is simply off).</para>
/// <para>Reflection over the contract runs per call; this is an operator tool, not on the request path.</para>
/// </remarks>
public static class EffectivePolicyView
{
    public const string Api = "api";
    public const string Service = "service";
    public const string Global = "global";
    public const string Default = "default";

    /// <summary>Builds the view for an API from the policies of its three levels (each may be null).</summary>
    public static IReadOnlyList<EffectivePolicyMember> Build(PolicyConfig? global, PolicyConfig? service, PolicyConfig? api) =>
        Build(typeof(PolicyConfig), global, service, api, PolicyDefaults.Value);

    /// <summary>The walk over any policy-shaped type; tests use it with model types of their own.</summary>
    internal static IReadOnlyList<EffectivePolicyMember> Build(Type policyType, object? global, object? service, object? api, object? defaults)
    {
        var members = new List<EffectivePolicyMember>();
        Level[] levels = [new(Api, api), new(Service, service), new(Global, global), new(Default, defaults)];
        Walk(TypeInfo(policyType), "", levels, members);
        return members;
    }

    private static void Walk(JsonTypeInfo type, string prefix, Level[] levels, List<EffectivePolicyMember> members)
    {
        foreach (var property in type.Properties)
        {
            if (property.Get is not { } get)
            {
                continue;
            }

            var name = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var values = new object?[levels.Length];
            for (var i = 0; i < levels.Length; i++)
            {
                values[i] = levels[i].Value is { } owner ? get(owner) : null;
            }

            var propertyInfo = TypeInfo(valueType);
            if (valueType.IsDefined(typeof(StackedPolicyAttribute), inherit: false))
            {
                // Outermost first, the order the gateway applies them in; the built-in level never stacks a limit.
                var applied = new List<PolicyLevelValue>();
                for (var i = levels.Length - 2; i >= 0; i--)
                {
                    if (values[i] is { } value)
                    {
                        applied.Add(new PolicyLevelValue(levels[i].Name, ToJson(value, valueType)));
                    }
                }

                members.Add(new EffectivePolicyMember(name, "stack", applied.Count == 0 ? Default : applied[^1].Source, null, applied));
            }
            else if (propertyInfo.Kind == JsonTypeInfoKind.Object && propertyInfo.Properties.Count > 0
                && propertyInfo.Properties.All(p => p.IsGetNullable)
                && !valueType.IsDefined(typeof(MergedWholePolicyAttribute), inherit: false))
            {
                Walk(propertyInfo, name, [.. levels.Select((l, i) => new Level(l.Name, values[i]))], members);
            }
            else
            {
                var index = Array.FindIndex(values, v => v is not null);
                members.Add(index < 0
                    ? new EffectivePolicyMember(name, "override", Default, null, null)
                    : new EffectivePolicyMember(name, "override", levels[index].Name, ToJson(values[index]!, valueType), null));
            }
        }
    }

    private static JsonTypeInfo TypeInfo(Type type) => ConfigSerializer.Options.GetTypeInfo(type);

    private static JsonNode? ToJson(object value, Type type) => JsonSerializer.SerializeToNode(value, type, ConfigSerializer.Options);

    private readonly record struct Level(string Name, object? Value);
}

/// <summary>One policy member as it applies to an API.</summary>
/// <param name="Member">Path of the member in the policy, e.g. <c>timeouts.connectMs</c> or <c>loadBalancer</c>.</param>
/// <param name="Merge"><c>override</c>: the innermost level that sets it wins; <c>stack</c>: every level applies.</param>
/// <param name="Source">
/// For <c>override</c>, the level the value comes from: <c>api</c>, <c>service</c>, <c>global</c> or <c>default</c>.
/// For <c>stack</c>, the innermost level that sets one, or <c>default</c> when none does (the member is off).
/// </param>
/// <param name="Value">The value in force (config JSON); null for a member no level sets and without a built-in value.</param>
/// <param name="Levels">For <c>stack</c>: every level that sets the member, outermost first; null for <c>override</c>.</param>
public sealed record EffectivePolicyMember(string Member, string Merge, string Source, JsonNode? Value, IReadOnlyList<PolicyLevelValue>? Levels);

/// <summary>The value a stacked member has at one level.</summary>
public sealed record PolicyLevelValue(string Source, JsonNode? Value);
