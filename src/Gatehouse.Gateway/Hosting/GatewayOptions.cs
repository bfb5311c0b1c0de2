namespace Gatehouse.Gateway.Hosting;

/// <summary>Settings of one gateway node (section <c>Gatehouse:Gateway</c>); the routed config lives elsewhere.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gatehouse:Gateway";

    /// <summary>Address the traffic and control ports bind to.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    public int Port { get; set; } = 8080;

    public int ControlPort { get; set; } = 8081;

    /// <summary>Id of this gateway node; defaults to the machine name.</summary>
    public string NodeId { get; set; } = Environment.MachineName;

    public string Group { get; set; } = "default";

    /// <summary>This node's datacenter / zone, used by nearest routing. Null disables nearest routing.</summary>
    public string? Loc { get; set; }

    /// <summary>Declarative config file (YAML or JSON) for DB-less mode.</summary>
    public string? ConfigPath { get; set; }

    /// <summary>How often the config file's timestamp and size are polled, as a safety net for missed watcher events.</summary>
    public TimeSpan ConfigPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    public GatewayHeaderNames Headers { get; set; } = new();

    public GatewayLimits Limits { get; set; } = new();
}

/// <summary>Names of the request headers (and query parameter) the gateway reads.</summary>
public sealed class GatewayHeaderNames
{
    /// <summary>Header, and query parameter, naming the target service.</summary>
    public string ServiceName { get; set; } = "serviceName";

    public string Gray { get; set; } = "gray";

    public string ScTag { get; set; } = "scTag";
}

/// <summary>Request limits enforced before routing.</summary>
public sealed class GatewayLimits
{
    /// <summary>Total size of request header names and values; larger gets 431 problem JSON.</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Number of request headers; more gets 431 problem JSON.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>Request body size limit; null (the default) streams bodies of any size.</summary>
    public long? MaxRequestBodySize { get; set; }
}
