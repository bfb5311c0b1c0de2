namespace Gatehouse.Gateway.ConfigSync;

/// <summary>
/// Wakes the admin sync loop to pull now (a signed push arrived). However many pushes arrive while a pull is pending,
/// one pull covers them, because every pull asks for everything since the node's version.
/// </summary>
internal sealed class ConfigPullSignal : CoalescingSignal;
