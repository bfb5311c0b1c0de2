using System.Globalization;
using System.Text;

namespace Gatehouse.Tars.Schema;

/// <summary>What a <c>.tars</c> interface file declares: structs and the functions of its interfaces.</summary>
/// <param name="Structs">Structs by name (without module).</param>
/// <param name="Interfaces">Interfaces by name, each with its functions by name.</param>
public sealed record TarsIdl(IReadOnlyDictionary<string, TarsStruct> Structs,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, TarsFunction>> Interfaces)
{
    /// <summary>The function <paramref name="function"/> of <paramref name="interfaceName"/>, or of the only interface declaring it when null.</summary>
    /// <exception cref="FormatException">No such function, or several interfaces declare it and none is named.</exception>
    public TarsFunction Function(string? interfaceName, string function)
    {
        if (interfaceName is not null)
        {
            return Interfaces.TryGetValue(interfaceName, out var functions) && functions.TryGetValue(function, out var found)
                ? found
                : throw new FormatException($"interface '{interfaceName}' with a function '{function}' is not declared");
        }

        TarsFunction? match = null;
        foreach (var (_, functions) in Interfaces)
        {
            if (functions.TryGetValue(function, out var candidate))
            {
                match = match is null ? candidate : throw new FormatException($"several interfaces declare '{function}': name the interface");
            }
        }

        return match ?? throw new FormatException($"no interface declares a function '{function}'");
    }
}

/// <summary>
/// Parses the subset of the Tars interface language a gateway needs: <c>module</c>, <c>struct</c> with tagged
/// <c>require</c>/<c>optional</c> fields (defaults allowed), <c>interface</c> with functions and <c>out</c>
/// parameters, and <c>enum</c> (values travel as int). <c>const</c>, <c>key[...]</c> and <c>#include</c> are
/// skipped; comments are <c>//</c> and <c>/* */</c>.
/// </summary>
public static class TarsIdlParser
{
    /// <summary>Parses interface text.</summary>
    /// <exception cref="FormatException">The text is not in the subset (the message names the line).</exception>
    public static TarsIdl Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Tokenize(text);
        var enums = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Text == "enum")
            {
                enums.Add(tokens[i + 1].Text);
            }
        }

        var parser = new Parser(tokens);
        parser.File();
        var structs = TarsSchema.BuildStructs(parser.Structs, enums);
        var interfaces = new Dictionary<string, IReadOnlyDictionary<string, TarsFunction>>(StringComparer.Ordinal);
        foreach (var (name, functions) in parser.Interfaces)
        {
            var built = new Dictionary<string, TarsFunction>(StringComparer.Ordinal);
            foreach (var (function, returnType, parameters, line) in functions)
            {
                try
                {
                    built[function] = TarsSchema.BuildFunction(function, returnType, parameters, structs, enums);
                }
                catch (FormatException e)
                {
                    throw new FormatException($"line {line}: {name}.{function}: {e.Message}", e);
                }
            }

            interfaces[name] = built;
        }

        return new TarsIdl(structs, interfaces);
    }

    private readonly record struct Token(string Text, int Line);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var line = 1;
        for (var i = 0; i < text.Length;)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/' || c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? text.Length : end + 2;
                for (var j = i; j < end; j++)
                {
                    line += text[j] == '\n' ? 1 : 0;
                }

                i = end;
            }
            else if (c == '"')
            {
                var end = text.IndexOf('"', i + 1);
                end = end < 0 ? text.Length : end + 1;
                tokens.Add(new Token(text[i..end], line));
                i = end;
            }
            else if (char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ':')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '-' or '.' or ':'))
                {
                    i++;
                }

                tokens.Add(new Token(text[start..i], line));
            }
            else
            {
                tokens.Add(new Token(c.ToString(), line));
                i++;
            }
        }

        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _position;

        public List<KeyValuePair<string, IReadOnlyList<TarsFieldDeclaration>>> Structs { get; } = [];

        public List<(string Name, List<(string Function, string? ReturnType, List<TarsParameterDeclaration> Parameters, int Line)> Functions)> Interfaces { get; } = [];

        public void File()
        {
            while (!AtEnd)
            {
                Expect("module");
                Next();
                Expect("{");
                while (Peek != "}")
                {
                    Definition();
                }

                Expect("}");
                Optional(";");
            }
        }

        private bool AtEnd => _position >= tokens.Count;

        private string Peek => AtEnd ? "" : tokens[_position].Text;

        private int Line => AtEnd ? (tokens.Count == 0 ? 1 : tokens[^1].Line) : tokens[_position].Line;

        private void Definition()
        {
            var keyword = Next();
            switch (keyword)
            {
                case "struct":
                    Struct();
                    break;
                case "interface":
                    Interface();
                    break;
                case "enum" or "key":
                    SkipBlock(keyword == "enum" ? "{" : "[", keyword == "enum" ? "}" : "]");
                    Optional(";");
                    break;
                case "const":
                    while (Next() != ";")
                    {
                    }

                    break;
                default:
                    throw Error($"expected struct, interface, enum, const or key, found '{keyword}'");
            }
        }

        private void Struct()
        {
            var name = Next();
            Expect("{");
            var fields = new List<TarsFieldDeclaration>();
            while (Peek != "}")
            {
                var tagText = Next();
                if (!int.TryParse(tagText, NumberStyles.None, CultureInfo.InvariantCulture, out var tag))
                {
                    throw Error($"struct {name}: expected a field tag, found '{tagText}'");
                }

                var requirement = Next();
                if (requirement is not ("require" or "optional"))
                {
                    throw Error($"struct {name}: expected require or optional, found '{requirement}'");
                }

                var type = Type();
                var fieldName = Next();
                if (Peek == "=")
                {
                    // A default value: not needed to convert JSON (absent fields take their type's default).
                    while (Peek != ";" && !AtEnd)
                    {
                        Next();
                    }
                }

                Expect(";");
                fields.Add(new TarsFieldDeclaration(tag, fieldName, type, requirement == "require"));
            }

            Expect("}");
            Optional(";");
            Structs.Add(new(name, fields));
        }

        private void Interface()
        {
            var name = Next();
            Expect("{");
            var functions = new List<(string, string?, List<TarsParameterDeclaration>, int)>();
            while (Peek != "}")
            {
                var line = Line;
                var returnType = Type();
                var function = Next();
                Expect("(");
                var parameters = new List<TarsParameterDeclaration>();
                while (Peek != ")")
                {
                    var isOut = Peek == "out";
                    if (isOut)
                    {
                        Next();
                    }

                    if (Peek == "routekey")
                    {
                        Next();
                    }

                    var type = Type();
                    parameters.Add(new TarsParameterDeclaration(Next(), type, isOut));
                    Optional(",");
                }

                Expect(")");
                Expect(";");
                functions.Add((function, returnType == "void" ? null : returnType, parameters, line));
            }

            Expect("}");
            Optional(";");
            Interfaces.Add((name, functions));
        }

        /// <summary>A type as text (<c>map&lt;string, vector&lt;int&gt;&gt;</c>), checked by <see cref="TarsTypeParser"/> later.</summary>
        private string Type()
        {
            var text = new StringBuilder(Next());
            if (text.ToString() == "unsigned")
            {
                text.Append(' ').Append(Next());
            }

            if (Peek == "<")
            {
                var depth = 0;
                do
                {
                    var token = Next();
                    depth += token == "<" ? 1 : token == ">" ? -1 : 0;
                    text.Append(token).Append(token == "," ? " " : "");
                }
                while (depth > 0 && !AtEnd);
            }

            return text.ToString();
        }

        private void SkipBlock(string open, string close)
        {
            while (!AtEnd && Peek != open)
            {
                Next();
            }

            Expect(open);
            while (!AtEnd && Peek != close)
            {
                Next();
            }

            Expect(close);
        }

        private string Next()
        {
            if (AtEnd)
            {
                throw Error("unexpected end of the interface file");
            }

            return tokens[_position++].Text;
        }

        private void Expect(string text)
        {
            var line = Line;
            var found = AtEnd ? "the end" : $"'{Peek}'";
            if (Next() != text)
            {
                throw new FormatException($"line {line}: expected '{text}', found {found}");
            }
        }

        private void Optional(string text)
        {
            if (Peek == text)
            {
                _position++;
            }
        }

        private FormatException Error(string message) => new($"line {Line}: {message}");
    }
}
