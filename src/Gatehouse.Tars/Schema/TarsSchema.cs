namespace Gatehouse.Tars.Schema;

/// <summary>A struct field as declared (in config): tag, name, type text, require.</summary>
public readonly record struct TarsFieldDeclaration(int Tag, string Name, string Type, bool Required);

/// <summary>A parameter as declared (in config): name, type text, out.</summary>
public readonly record struct TarsParameterDeclaration(string Name, string Type, bool Out);

/// <summary>Builds checked, bound structs and functions from declarations (config) or an interface file.</summary>
public static class TarsSchema
{
    /// <summary>Builds the structs; every type they use must be a built-in type or one of them.</summary>
    /// <exception cref="FormatException">A type does not parse, a struct is unknown, tags or names repeat (the message says which).</exception>
    public static Dictionary<string, TarsStruct> BuildStructs(IEnumerable<KeyValuePair<string, IReadOnlyList<TarsFieldDeclaration>>> declarations,
        IReadOnlySet<string>? enums = null)
    {
        ArgumentNullException.ThrowIfNull(declarations);
        var structs = new Dictionary<string, TarsStruct>(StringComparer.Ordinal);
        var types = new List<TarsType>();
        foreach (var (name, fields) in declarations)
        {
            var built = new List<TarsField>(fields.Count);
            var tags = new HashSet<int>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in fields)
            {
                if (field.Tag is < 0 or > Codec.TarsWriter.MaxTag)
                {
                    throw new FormatException($"struct {name}: field '{field.Name}' has tag {field.Tag}; a tag is 0 to 255");
                }

                if (!tags.Add(field.Tag))
                {
                    throw new FormatException($"struct {name}: tag {field.Tag} is used twice");
                }

                if (string.IsNullOrWhiteSpace(field.Name) || !names.Add(field.Name))
                {
                    throw new FormatException($"struct {name}: field name '{field.Name}' is blank or used twice");
                }

                TarsType type;
                try
                {
                    type = TarsTypeParser.Parse(field.Type, enums);
                }
                catch (FormatException e)
                {
                    throw new FormatException($"struct {name}, field '{field.Name}': {e.Message}", e);
                }

                types.Add(type);
                built.Add(new TarsField(field.Tag, field.Name, type, field.Required));
            }

            built.Sort((a, b) => a.Tag.CompareTo(b.Tag));
            if (!structs.TryAdd(name, new TarsStruct(name, built)))
            {
                throw new FormatException($"struct {name} is declared twice");
            }
        }

        foreach (var type in types)
        {
            TarsTypeParser.Bind(type, structs);
        }

        return structs;
    }

    /// <summary>Builds a function from declared parameters and return type (null or <c>void</c> for none).</summary>
    /// <exception cref="FormatException">A type does not parse or names a struct not in <paramref name="structs"/>; a name repeats.</exception>
    public static TarsFunction BuildFunction(string name, string? returnType, IReadOnlyList<TarsParameterDeclaration> parameters,
        IReadOnlyDictionary<string, TarsStruct> structs, IReadOnlySet<string>? enums = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(structs);
        TarsType? ret = null;
        if (!string.IsNullOrWhiteSpace(returnType) && returnType.Trim() != "void")
        {
            ret = TarsTypeParser.Parse(returnType, enums);
            TarsTypeParser.Bind(ret, structs);
        }

        var built = new List<TarsParameter>(parameters.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parameter in parameters)
        {
            if (string.IsNullOrWhiteSpace(parameter.Name) || !names.Add(parameter.Name))
            {
                throw new FormatException($"parameter name '{parameter.Name}' is blank or used twice");
            }

            TarsType type;
            try
            {
                type = TarsTypeParser.Parse(parameter.Type, enums);
                TarsTypeParser.Bind(type, structs);
            }
            catch (FormatException e)
            {
                throw new FormatException($"parameter '{parameter.Name}': {e.Message}", e);
            }

            built.Add(new TarsParameter(parameter.Name, type, parameter.Out));
        }

        return new TarsFunction(name, ret, built);
    }
}
