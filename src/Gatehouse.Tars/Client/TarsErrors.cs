using Gatehouse.Tars.Protocol;

namespace Gatehouse.Tars.Client;

/// <summary>The server could not be reached: nothing of the call was sent, so another server may be tried.</summary>
public sealed class TarsConnectException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>The connection broke (or was closed) while the call was in flight: the server may have run it.</summary>
public sealed class TarsConnectionLostException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>No response within the call's timeout.</summary>
public sealed class TarsTimeoutException(string message) : TimeoutException(message);

/// <summary>The server answered with a return code other than 0.</summary>
public sealed class TarsReturnCodeException(int returnCode, string message)
    : Exception($"Tars return code {returnCode} ({TarsReturnCodes.Name(returnCode)}): {message}")
{
    /// <summary>The return code (<c>iRet</c>).</summary>
    public int ReturnCode { get; } = returnCode;

    /// <summary>The server's text (<c>sResultDesc</c>).</summary>
    public string ServerMessage { get; } = message;
}
