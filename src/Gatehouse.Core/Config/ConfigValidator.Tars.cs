namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>The <c>tars</c> block of an API.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><c>tars</c> is required with <c>protocol: tars</c> and not allowed without it.</item>
    /// <item><c>servant</c> a dotted name without spaces (<c>App.Server.Obj</c>); <c>function</c> an identifier.</item>
    /// <item>TUP mode: either <c>idl</c> (the interface text, parsed; it must declare the function, in <c>interface</c>
    /// when that is given) or declarations (<c>parameters</c>, <c>returnType</c>, <c>structs</c>: types parse, structs
    /// exist, tags 0–255 and names unique). Not both.</item>
    /// <item>JSON mode: the body is passed through, so none of <c>idl</c>, <c>interface</c>, <c>parameters</c>,
    /// <c>returnType</c>, <c>structs</c>.</item>
    /// <item><c>contextHeaders</c> header names, none repeated.</item>
    /// </list>
    /// </remarks>
    private static void ValidateTarsBlock(Errors errors, string entry, ApiConfig api, ApiProtocol protocol)
    {
        var tars = protocol == ApiProtocol.Tars;
        if (!tars && api.Tars is not null)
        {
            errors.Add($"{entry}.tars", "applies only to APIs with protocol: tars");
            return;
        }

        if (tars && api.Tars is null)
        {
            errors.Add($"{entry}.tars", "is required with protocol: tars (servant, function, and the parameters or idl)");
            return;
        }

        if (api.Tars is not { } config)
        {
            return;
        }

        entry = $"{entry}.tars";
        if (string.IsNullOrEmpty(config.Servant) || !config.Servant.Split('.').All(IsTarsIdentifier))
        {
            errors.Add($"{entry}.servant", $"'{config.Servant}' is not a servant name (e.g. Test.HelloServer.HelloObj)");
        }

        if (!IsTarsIdentifier(config.Function))
        {
            errors.Add($"{entry}.function", $"'{config.Function}' is not a function name");
        }

        CheckEnum(errors, $"{entry}.mode", config.Mode);
        CheckHeaderNames(errors, $"{entry}.contextHeaders", config.ContextHeaders);
        var declared = config.Parameters is not null || config.ReturnType is not null || config.Structs is not null;
        if (config.Mode == TarsMode.Json)
        {
            if (declared || config.Idl is not null || config.Interface is not null)
            {
                errors.Add($"{entry}.mode", "JSON mode passes the body through: idl, interface, parameters, returnType and structs apply only to mode: tup");
            }

            return;
        }

        if (config.Idl is not null && declared)
        {
            errors.Add($"{entry}.idl", "give either idl or parameters/returnType/structs, not both");
            return;
        }

        if (config.Interface is not null && config.Idl is null)
        {
            errors.Add($"{entry}.interface", "applies only with idl");
        }

        if (!IsTarsIdentifier(config.Function))
        {
            return;
        }

        try
        {
            TarsApiSchema.Build(config);
        }
        catch (FormatException e)
        {
            errors.Add(config.Idl is not null ? $"{entry}.idl" : $"{entry}.parameters", e.Message);
        }
    }

    private static bool IsTarsIdentifier(string? part)
    {
        if (string.IsNullOrEmpty(part) || !(char.IsAsciiLetter(part[0]) || part[0] == '_'))
        {
            return false;
        }

        foreach (var c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
