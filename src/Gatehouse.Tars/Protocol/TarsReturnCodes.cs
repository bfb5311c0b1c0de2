namespace Gatehouse.Tars.Protocol;

/// <summary>The framework's return codes (<c>iRet</c>), as TarsCpp names them (<c>tars/RequestF.h</c>, <c>TARSSERVER*</c>).</summary>
public static class TarsReturnCodes
{
    /// <summary>0: the call succeeded.</summary>
    public const int Success = 0;

    /// <summary>-1: the server could not decode the request.</summary>
    public const int ServerDecodeError = -1;

    /// <summary>-2: the server could not encode the response.</summary>
    public const int ServerEncodeError = -2;

    /// <summary>-3: no such function in the servant.</summary>
    public const int NoFunction = -3;

    /// <summary>-4: no such servant at the server.</summary>
    public const int NoServant = -4;

    /// <summary>-5: the grid (gray routing) of the server was reset.</summary>
    public const int ResetGrid = -5;

    /// <summary>-6: the request waited too long in the server's queue and was dropped unrun.</summary>
    public const int QueueTimeout = -6;

    /// <summary>-7: the call timed out (TarsCpp's asynchronous and invocation timeouts).</summary>
    public const int InvokeTimeout = -7;

    /// <summary>-8: a proxy could not connect onwards.</summary>
    public const int ProxyConnectError = -8;

    /// <summary>-9: the server is overloaded and refused the request unrun.</summary>
    public const int Overload = -9;

    /// <summary>-10: no adapter (endpoint) of the servant is available.</summary>
    public const int AdapterNull = -10;

    /// <summary>-11: the call was routed to an invalid set.</summary>
    public const int InvalidSet = -11;

    /// <summary>-12: the client could not decode the response.</summary>
    public const int ClientDecodeError = -12;

    /// <summary>-99: an unknown server error (an exception in the servant).</summary>
    public const int Unknown = -99;

    /// <summary>The TarsCpp name of <paramref name="code"/>, e.g. <c>TARSSERVERNOFUNCERR</c>; <c>TARS_ERROR</c> for others.</summary>
    public static string Name(int code) => code switch
    {
        Success => "TARSSERVERSUCCESS",
        ServerDecodeError => "TARSSERVERDECODEERR",
        ServerEncodeError => "TARSSERVERENCODEERR",
        NoFunction => "TARSSERVERNOFUNCERR",
        NoServant => "TARSSERVERNOSERVANTERR",
        ResetGrid => "TARSSERVERRESETGRID",
        QueueTimeout => "TARSSERVERQUEUETIMEOUT",
        InvokeTimeout => "TARSINVOKETIMEOUT",
        ProxyConnectError => "TARSPROXYCONNECTERR",
        Overload => "TARSSERVEROVERLOAD",
        AdapterNull => "TARSADAPTERNULL",
        InvalidSet => "TARSINVOKEBYINVALIDESET",
        ClientDecodeError => "TARSCLIENTDECODEERR",
        Unknown => "TARSSERVERUNKNOWNERR",
        _ => "TARS_ERROR",
    };
}
