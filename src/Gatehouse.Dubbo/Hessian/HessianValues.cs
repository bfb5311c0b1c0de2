namespace Gatehouse.Dubbo.Hessian;

/// <summary>
/// A hessian2 object: a Java class name and its fields in declaration order (the order of the class definition).
/// </summary>
/// <remarks>
/// Values read from the wire are <c>null</c>, <see cref="bool"/>, <see cref="int"/>, <see cref="long"/>,
/// <see cref="double"/>, <see cref="string"/>, <c>byte[]</c>, <see cref="DateTime"/> (UTC), <see cref="HessianList"/>,
/// <see cref="HessianMap"/> and <see cref="HessianObject"/>. Shared references decode to the same instance.
/// </remarks>
public sealed class HessianObject(string className)
{
    /// <summary>The Java class name, e.g. <c>java.lang.IllegalStateException</c>.</summary>
    public string ClassName { get; } = className;

    /// <summary>Field names and values in the order of the class definition.</summary>
    public List<KeyValuePair<string, object?>> Fields { get; } = [];

    /// <summary>The value of the first field named <paramref name="name"/>, or null.</summary>
    public object? Get(string name)
    {
        foreach (var field in Fields)
        {
            if (field.Key == name)
            {
                return field.Value;
            }
        }

        return null;
    }
}

/// <summary>A hessian2 list, typed (e.g. <c>[int</c>, <c>java.util.ArrayList</c>) or untyped (<see cref="Type"/> null).</summary>
public sealed class HessianList(string? type = null)
{
    /// <summary>The list's type as written on the wire; null for an untyped list.</summary>
    public string? Type { get; } = type;

    /// <summary>The elements.</summary>
    public List<object?> Items { get; } = [];
}

/// <summary>A hessian2 map, typed (e.g. <c>java.util.HashMap</c>) or untyped; keys may be any value, in wire order.</summary>
public sealed class HessianMap(string? type = null)
{
    /// <summary>The map's type as written on the wire; null for an untyped map.</summary>
    public string? Type { get; } = type;

    /// <summary>Entries in wire order.</summary>
    public List<KeyValuePair<object?, object?>> Entries { get; } = [];

    /// <summary>The value of the first entry whose key is the string <paramref name="key"/>, or null.</summary>
    public object? Get(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key is string s && s == key)
            {
                return entry.Value;
            }
        }

        return null;
    }
}

/// <summary>Thrown when hessian2 input is malformed or uses a construct this codec does not read.</summary>
public sealed class HessianFormatException(string message) : FormatException(message);
