namespace Gatehouse.Core.Config;

/// <summary>
/// Marks a policy member type whose levels are not merged but all apply together (each level that sets one
/// adds its own instance, e.g. rate limits). <see cref="EffectivePolicyView"/> lists every level for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StackedPolicyAttribute : Attribute;
