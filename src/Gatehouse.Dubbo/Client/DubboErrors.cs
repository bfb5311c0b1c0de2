using Gatehouse.Dubbo.Protocol;

namespace Gatehouse.Dubbo.Client;

/// <summary>The provider could not be reached: nothing of the call was sent, so another provider may be tried.</summary>
public sealed class DubboConnectException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>The connection broke (or was closed) while the call was in flight: the provider may have run it.</summary>
public sealed class DubboConnectionLostException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>No response within the call's timeout (Dubbo's client timeout, status 30).</summary>
public sealed class DubboTimeoutException(string message) : TimeoutException(message);

/// <summary>The provider answered with a status other than 20 (OK).</summary>
public sealed class DubboStatusException(DubboStatus status, string message)
    : Exception($"Dubbo status {(int)status} ({status}): {message}")
{
    /// <summary>The status of the response.</summary>
    public DubboStatus Status { get; } = status;

    /// <summary>The message the provider sent.</summary>
    public string ProviderMessage { get; } = message;
}
