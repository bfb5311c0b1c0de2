using Gatehouse.Core.Config;
using Gatehouse.Plugins;

namespace Gatehouse.Gateway.Filters.Access;

/// <summary><c>ip-access</c>: the <c>ipAccess</c> lists of every level that sets them, stacked outermost first.</summary>
internal sealed class IpAccessFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.IpAccess;

    public BuiltInFilter? Create(BuiltInFilterScope scope)
    {
        var rules = new List<IpAccessRule>(3);
        Add(rules, EffectivePolicyView.Global, scope.Global?.IpAccess);
        Add(rules, EffectivePolicyView.Service, scope.Service.Policy?.IpAccess);
        Add(rules, EffectivePolicyView.Api, scope.Api.Policy?.IpAccess);
        return rules.Count == 0 ? null : new IpAccessFilter([.. rules]);
    }

    private static void Add(List<IpAccessRule> rules, string level, IpAccessConfig? config)
    {
        // An entry with both lists empty admits everyone; it needs no check.
        if (config is not null && (config.Allow.Count > 0 || config.Deny.Count > 0))
        {
            rules.Add(IpAccessFilter.Compile(level, config));
        }
    }
}
