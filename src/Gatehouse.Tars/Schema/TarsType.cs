namespace Gatehouse.Tars.Schema;

/// <summary>What kind of value a <see cref="TarsType"/> is.</summary>
public enum TarsTypeKind
{
    Bool,
    Byte,
    Short,
    Int,
    Long,
    Float,
    Double,
    String,

    /// <summary><c>vector&lt;byte&gt;</c>: a simple list, base64 in JSON.</summary>
    Bytes,
    Vector,
    Map,
    Struct,
}

/// <summary>A Tars type as written in interface files: <c>int</c>, <c>string</c>, <c>vector&lt;T&gt;</c>, <c>map&lt;K, V&gt;</c>, a struct.</summary>
public sealed class TarsType
{
    private TarsType(TarsTypeKind kind, string name, TarsType? element = null, TarsType? key = null, TarsStruct? structType = null)
    {
        Kind = kind;
        Name = name;
        Element = element;
        Key = key;
        Struct = structType;
    }

    /// <summary>The kind.</summary>
    public TarsTypeKind Kind { get; }

    /// <summary>The type as written, e.g. <c>map&lt;string, vector&lt;int&gt;&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>The element type of a vector, the value type of a map.</summary>
    public TarsType? Element { get; }

    /// <summary>The key type of a map.</summary>
    public TarsType? Key { get; }

    /// <summary>The struct definition of a struct type.</summary>
    public TarsStruct? Struct { get; private set; }

    internal static TarsType Scalar(TarsTypeKind kind, string name) => new(kind, name);

    internal static TarsType Vector(TarsType element)
        => element.Kind == TarsTypeKind.Byte
            ? new TarsType(TarsTypeKind.Bytes, "vector<byte>")
            : new TarsType(TarsTypeKind.Vector, $"vector<{element.Name}>", element);

    internal static TarsType Map(TarsType key, TarsType value) => new(TarsTypeKind.Map, $"map<{key.Name}, {value.Name}>", value, key);

    internal static TarsType StructRef(string name) => new(TarsTypeKind.Struct, name);

    internal void Bind(TarsStruct definition) => Struct = definition;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A struct: named fields with tags.</summary>
/// <param name="Name">The struct name (as referenced from other types).</param>
/// <param name="Fields">The fields, in increasing tag order.</param>
public sealed record TarsStruct(string Name, IReadOnlyList<TarsField> Fields);

/// <summary>A field of a struct.</summary>
/// <param name="Tag">Its tag, 0 to 255.</param>
/// <param name="Name">Its name: the JSON property.</param>
/// <param name="Type">Its type.</param>
/// <param name="Required">Declared <c>require</c>.</param>
public sealed record TarsField(int Tag, string Name, TarsType Type, bool Required);

/// <summary>A parameter of a function: a name, a type, and whether it is an <c>out</c> parameter.</summary>
public sealed record TarsParameter(string Name, TarsType Type, bool Out);

/// <summary>A function of an interface.</summary>
/// <param name="Name">The function name.</param>
/// <param name="ReturnType">The return type; null for <c>void</c>.</param>
/// <param name="Parameters">The parameters in order, <c>out</c> ones included.</param>
public sealed record TarsFunction(string Name, TarsType? ReturnType, IReadOnlyList<TarsParameter> Parameters);
