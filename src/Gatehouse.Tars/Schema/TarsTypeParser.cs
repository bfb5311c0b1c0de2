namespace Gatehouse.Tars.Schema;

/// <summary>Parses type names (<c>vector&lt;map&lt;string, int&gt;&gt;</c>) and binds struct names to their definitions.</summary>
public static class TarsTypeParser
{
    /// <summary>Parses <paramref name="text"/>; a name that is no built-in type is a struct reference, bound later.</summary>
    /// <exception cref="FormatException">The text is not a type.</exception>
    public static TarsType Parse(string text) => Parse(text, null);

    /// <summary>Parses <paramref name="text"/>; names in <paramref name="enums"/> are enums, which travel as int.</summary>
    /// <exception cref="FormatException">The text is not a type.</exception>
    public static TarsType Parse(string text, IReadOnlySet<string>? enums)
    {
        ArgumentNullException.ThrowIfNull(text);
        var position = 0;
        var type = ParseType(text, ref position, enums);
        SkipSpaces(text, ref position);
        if (position != text.Length)
        {
            throw new FormatException($"'{text}' is not a Tars type: unexpected '{text[position..]}'");
        }

        return type;
    }

    /// <summary>
    /// Binds every struct reference in <paramref name="type"/> to its definition in <paramref name="structs"/> (by
    /// name, or by its last dotted part: <c>Demo.User</c> finds <c>User</c>).
    /// </summary>
    /// <exception cref="FormatException">A struct is not defined.</exception>
    public static void Bind(TarsType type, IReadOnlyDictionary<string, TarsStruct> structs)
    {
        switch (type.Kind)
        {
            case TarsTypeKind.Vector:
                Bind(type.Element!, structs);
                break;
            case TarsTypeKind.Map:
                Bind(type.Key!, structs);
                Bind(type.Element!, structs);
                break;
            case TarsTypeKind.Struct when type.Struct is null:
                var name = type.Name;
                if (!structs.TryGetValue(name, out var definition) && !structs.TryGetValue(LastPart(name), out definition))
                {
                    throw new FormatException($"struct '{name}' is not defined");
                }

                type.Bind(definition);
                break;
        }
    }

    private static TarsType ParseType(string text, ref int position, IReadOnlySet<string>? enums)
    {
        SkipSpaces(text, ref position);
        var start = position;
        while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] is '_' or '.' or ':'))
        {
            position++;
        }

        var word = text[start..position];
        if (word == "unsigned")
        {
            // unsigned byte/short/int travel as the next wider signed type (TarsCpp and @tars/stream).
            var inner = ParseType(text, ref position, enums);
            return inner.Kind switch
            {
                TarsTypeKind.Byte => TarsType.Scalar(TarsTypeKind.Short, "unsigned byte"),
                TarsTypeKind.Short => TarsType.Scalar(TarsTypeKind.Int, "unsigned short"),
                TarsTypeKind.Int => TarsType.Scalar(TarsTypeKind.Long, "unsigned int"),
                _ => throw new FormatException($"'unsigned {inner.Name}' is not a Tars type"),
            };
        }

        switch (word)
        {
            case "bool": return TarsType.Scalar(TarsTypeKind.Bool, word);
            case "byte" or "char": return TarsType.Scalar(TarsTypeKind.Byte, word);
            case "short": return TarsType.Scalar(TarsTypeKind.Short, word);
            case "int": return TarsType.Scalar(TarsTypeKind.Int, word);
            case "long": return TarsType.Scalar(TarsTypeKind.Long, word);
            case "float": return TarsType.Scalar(TarsTypeKind.Float, word);
            case "double": return TarsType.Scalar(TarsTypeKind.Double, word);
            case "string": return TarsType.Scalar(TarsTypeKind.String, word);
            case "vector":
            {
                Expect(text, ref position, '<');
                var element = ParseType(text, ref position, enums);
                Expect(text, ref position, '>');
                return TarsType.Vector(element);
            }

            case "map":
            {
                Expect(text, ref position, '<');
                var key = ParseType(text, ref position, enums);
                if (key.Kind is TarsTypeKind.Vector or TarsTypeKind.Map or TarsTypeKind.Struct or TarsTypeKind.Bytes)
                {
                    throw new FormatException($"map key type {key.Name} is not supported: keys are scalars or strings (JSON object keys)");
                }

                Expect(text, ref position, ',');
                var value = ParseType(text, ref position, enums);
                Expect(text, ref position, '>');
                return TarsType.Map(key, value);
            }
        }

        if (word.Length == 0 || !(char.IsLetter(word[0]) || word[0] == '_'))
        {
            throw new FormatException($"'{text}' is not a Tars type");
        }

        if (enums is not null && (enums.Contains(word) || enums.Contains(LastPart(word))))
        {
            return TarsType.Scalar(TarsTypeKind.Int, word);
        }

        return TarsType.StructRef(word);
    }

    /// <summary>The name without its module: <c>Demo::User</c> and <c>Demo.User</c> are <c>User</c>.</summary>
    internal static string LastPart(string name)
    {
        var colon = name.LastIndexOf("::", StringComparison.Ordinal);
        var dot = name.LastIndexOf('.');
        return colon >= 0 ? name[(colon + 2)..] : dot >= 0 ? name[(dot + 1)..] : name;
    }

    private static void Expect(string text, ref int position, char c)
    {
        SkipSpaces(text, ref position);
        if (position >= text.Length || text[position] != c)
        {
            throw new FormatException($"'{text}' is not a Tars type: expected '{c}' at {position}");
        }

        position++;
    }

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }
}
