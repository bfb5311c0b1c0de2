namespace Gatehouse.Core.Config;

/// <summary>How the arguments and results of a Tars call are encoded (<c>services[].apis[].tars.mode</c>).</summary>
public enum TarsMode
{
    /// <summary>Simple TUP (version 3): the gateway encodes named arguments and decodes the results by their declared types.</summary>
    Tup,

    /// <summary>JSON (version 5): the JSON body goes to the server as it is and its JSON answer comes back as it is.</summary>
    Json,
}

/// <summary>
/// The Tars function an API with <c>protocol: tars</c> calls (<c>services[].apis[].tars</c>), and how the HTTP request
/// becomes its arguments.
/// </summary>
/// <remarks>
/// In TUP mode the function's parameters and return type come from <see cref="Idl"/> (the text of a <c>.tars</c>
/// interface file) or are declared here (<see cref="Parameters"/>, <see cref="ReturnType"/>, <see cref="Structs"/>).
/// A JSON object body gives each parameter the field of its name, a JSON array is positional; a parameter not in the
/// body takes the path value of its name, else the query value, else its type's default.
/// </remarks>
public sealed record TarsApiConfig
{
    /// <summary>The servant (object) name, e.g. <c>Test.HelloServer.HelloObj</c>.</summary>
    public string Servant { get; init; } = "";

    /// <summary>The function name.</summary>
    public string Function { get; init; } = "";

    /// <summary>TUP (default) or JSON.</summary>
    public TarsMode Mode { get; init; } = TarsMode.Tup;

    /// <summary>TUP mode: the text of a <c>.tars</c> interface file declaring the function (and its structs).</summary>
    public string? Idl { get; init; }

    /// <summary>TUP mode with <see cref="Idl"/>: the interface that declares the function; needed only when several do.</summary>
    public string? Interface { get; init; }

    /// <summary>TUP mode without <see cref="Idl"/>: the parameters in order, <c>out</c> ones included.</summary>
    public IReadOnlyList<TarsParameterConfig>? Parameters { get; init; }

    /// <summary>TUP mode without <see cref="Idl"/>: the return type; null or <c>void</c> for none.</summary>
    public string? ReturnType { get; init; }

    /// <summary>TUP mode without <see cref="Idl"/>: the structs the types use, by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TarsFieldConfig>>? Structs { get; init; }

    /// <summary>Request headers sent along in the request packet's context (names are lower-cased); the trace context always is.</summary>
    public IReadOnlyList<string>? ContextHeaders { get; init; }
}

/// <summary>A parameter of a Tars function declared in config.</summary>
public sealed record TarsParameterConfig
{
    /// <summary>The name: the TUP key, and the JSON field, path or query value the argument comes from.</summary>
    public string Name { get; init; } = "";

    /// <summary>The Tars type: <c>int</c>, <c>string</c>, <c>vector&lt;long&gt;</c>, <c>map&lt;string, User&gt;</c>, a struct name.</summary>
    public string Type { get; init; } = "";

    /// <summary>An <c>out</c> parameter: returned, not sent.</summary>
    public bool Out { get; init; }
}

/// <summary>A field of a Tars struct declared in config.</summary>
public sealed record TarsFieldConfig
{
    /// <summary>The tag, 0 to 255.</summary>
    public int Tag { get; init; }

    /// <summary>The name: the JSON property.</summary>
    public string Name { get; init; } = "";

    /// <summary>The Tars type.</summary>
    public string Type { get; init; } = "";

    /// <summary>Declared <c>require</c> (informational: the gateway writes every field).</summary>
    public bool Required { get; init; }
}
