using System.Text;

namespace Gatehouse.Dubbo.Json;

/// <summary>Java type names as written in config (<c>java.lang.String</c>, <c>int</c>, <c>long[]</c>) and as Dubbo sends them.</summary>
public static class JavaTypes
{
    /// <summary>The JVM descriptor of one type: <c>I</c>, <c>Ljava/lang/String;</c>, <c>[J</c>.</summary>
    public static string Descriptor(string javaType)
    {
        ArgumentNullException.ThrowIfNull(javaType);
        if (javaType.EndsWith("[]", StringComparison.Ordinal))
        {
            return "[" + Descriptor(javaType[..^2]);
        }

        return javaType switch
        {
            "int" => "I",
            "long" => "J",
            "double" => "D",
            "float" => "F",
            "boolean" => "Z",
            "byte" => "B",
            "short" => "S",
            "char" => "C",
            _ => "L" + javaType.Replace('.', '/') + ";",
        };
    }

    /// <summary>The parameter descriptor of a method: the descriptors of its parameter types, concatenated.</summary>
    public static string Descriptor(IReadOnlyList<string> javaTypes)
    {
        ArgumentNullException.ThrowIfNull(javaTypes);
        var builder = new StringBuilder();
        foreach (var type in javaTypes)
        {
            builder.Append(Descriptor(type));
        }

        return builder.ToString();
    }

    /// <summary>
    /// Whether <paramref name="javaType"/> is a usable type name: a primitive, or dotted Java identifiers, optionally
    /// followed by <c>[]</c> pairs. Returns the reason when it is not.
    /// </summary>
    public static string? Check(string? javaType)
    {
        if (string.IsNullOrWhiteSpace(javaType))
        {
            return "is empty";
        }

        var name = javaType;
        while (name.EndsWith("[]", StringComparison.Ordinal))
        {
            name = name[..^2];
        }

        if (name.Length == 0)
        {
            return $"'{javaType}' has no element type";
        }

        foreach (var part in name.Split('.'))
        {
            if (part.Length == 0 || !(char.IsLetter(part[0]) || part[0] is '_' or '$'))
            {
                return $"'{javaType}' is not a Java type name (e.g. java.lang.String, int, long[])";
            }

            foreach (var c in part)
            {
                if (!(char.IsLetterOrDigit(c) || c is '_' or '$'))
                {
                    return $"'{javaType}' is not a Java type name (e.g. java.lang.String, int, long[])";
                }
            }
        }

        return null;
    }
}
