using Gatehouse.Tars.Schema;

namespace Gatehouse.Core.Config;

/// <summary>The function a TUP-mode <see cref="TarsApiConfig"/> calls, built from its interface text or its declarations.</summary>
public static class TarsApiSchema
{
    /// <summary>Builds the function with its types bound; the validator reports the same errors at load time.</summary>
    /// <exception cref="FormatException">The interface text or a declaration is wrong (the message says where).</exception>
    public static TarsFunction Build(TarsApiConfig tars)
    {
        ArgumentNullException.ThrowIfNull(tars);
        if (tars.Idl is { } idl)
        {
            return TarsIdlParser.Parse(idl).Function(tars.Interface, tars.Function);
        }

        var declarations = new List<KeyValuePair<string, IReadOnlyList<TarsFieldDeclaration>>>();
        foreach (var (name, fields) in tars.Structs ?? new Dictionary<string, IReadOnlyList<TarsFieldConfig>>())
        {
            var declared = new List<TarsFieldDeclaration>((fields ?? []).Count);
            foreach (var field in fields ?? [])
            {
                declared.Add(new TarsFieldDeclaration(field.Tag, field.Name, field.Type, field.Required));
            }

            declarations.Add(new(name, declared));
        }

        var structs = TarsSchema.BuildStructs(declarations);
        var parameters = new List<TarsParameterDeclaration>();
        foreach (var parameter in tars.Parameters ?? [])
        {
            parameters.Add(new TarsParameterDeclaration(parameter.Name, parameter.Type, parameter.Out));
        }

        return TarsSchema.BuildFunction(tars.Function, tars.ReturnType, parameters, structs);
    }
}
