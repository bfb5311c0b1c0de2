namespace Gatehouse.Core.Config;

/// <summary>
/// Marks a policy member type whose levels are not merged but all apply together (each level that sets one
/// adds its own instance, e.g. rate limits). <see cref="EffectivePolicyView"/> lists every level for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StackedPolicyAttribute : Attribute;

/// <summary>
/// Marks a policy member type that is merged as a whole (the innermost level that sets it wins) even though all its
/// members are optional; without it <see cref="EffectivePolicyView"/> shows such a type field by field.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class MergedWholePolicyAttribute : Attribute;
