namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>A service's <c>discovery</c> block.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><c>dubbo</c> is required (it is the only kind of discovery).</item>
    /// <item><c>interface</c> a dotted Java name; <c>version</c>, when given, <c>*</c> or a label without spaces or
    /// commas; <c>group</c>, when given, <c>*</c> or a comma list of such labels.</item>
    /// <item>The discovered nodes are <c>dubbo://</c> providers, so every API of the service must be
    /// <c>protocol: dubbo</c>.</item>
    /// </list>
    /// </remarks>
    private static void ValidateDiscovery(Errors errors, string entry, DiscoveryConfig discovery, IReadOnlyList<ApiConfig> apis)
    {
        if (discovery.Dubbo is not { } dubbo)
        {
            errors.Add(entry, "names no registry: set dubbo (interface, version, group)");
            return;
        }

        entry = $"{entry}.dubbo";
        if (JavaTypeProblem(dubbo.Interface, allowArray: false) is { } interfaceProblem)
        {
            errors.Add($"{entry}.interface", interfaceProblem);
        }

        if (dubbo.Version is not "*")
        {
            CheckDubboLabel(errors, $"{entry}.version", dubbo.Version);
        }

        if (dubbo.Group is not null and not "*"
            && (dubbo.Group.Length == 0 || dubbo.Group.Split(',').Any(g => g.Length == 0 || g.Any(char.IsWhiteSpace))))
        {
            errors.Add($"{entry}.group", $"'{dubbo.Group}' must be '*' or one or more groups separated by commas, without spaces; leave it out for none");
        }

        foreach (var api in apis)
        {
            if (api is not null && (api.Protocol ?? ApiProtocol.Http) != ApiProtocol.Dubbo)
            {
                errors.Add($"{entry}", $"discovers Dubbo providers, but API '{api.Id}' of this service is not protocol: dubbo");
                break;
            }
        }
    }
}
