using Gatehouse.Core.Config;
using Gatehouse.Tars.Schema;

namespace Gatehouse.Gateway.Forwarding.Tars;

/// <summary>The compiled <c>tars</c> block of an API: the function to call, its types (TUP mode) and how arguments are bound.</summary>
internal sealed class TarsApiModel
{
    private TarsApiModel(TarsApiConfig config, string path, MatchKind kind)
    {
        Servant = config.Servant;
        Function = config.Function;
        Mode = config.Mode;
        ContextHeaders = Rpc.RpcRequestValues.LowerCase(config.ContextHeaders);
        if (Mode == TarsMode.Tup)
        {
            // Validated at load (ConfigValidator.Tars): building cannot fail here.
            Schema = TarsApiSchema.Build(config);
            var inputs = new List<TarsParameter>();
            foreach (var parameter in Schema.Parameters)
            {
                if (!parameter.Out)
                {
                    inputs.Add(parameter);
                }
            }

            Inputs = [.. inputs];
            PathSegments = Rpc.RpcRequestValues.PathSegments(path, kind);
        }
    }

    public string Servant { get; }

    public string Function { get; }

    public TarsMode Mode { get; }

    /// <summary>TUP mode: the function with its bound types; null in JSON mode.</summary>
    public TarsFunction? Schema { get; }

    /// <summary>TUP mode: the parameters sent (not <c>out</c>), in order.</summary>
    public TarsParameter[] Inputs { get; } = [];

    /// <summary>Lower-cased names of the request headers sent in the packet's context.</summary>
    public string[] ContextHeaders { get; }

    /// <summary>Template variables and the index of their path segment; null when the path has none.</summary>
    public List<(string Name, int Segment)>? PathSegments { get; }

    public static TarsApiModel? For(ApiConfig api, MatchKind kind)
        => api.Protocol == ApiProtocol.Tars && api.Tars is { } tars ? new TarsApiModel(tars, api.Path, kind) : null;
}
