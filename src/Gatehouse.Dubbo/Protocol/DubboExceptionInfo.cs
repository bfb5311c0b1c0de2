using Gatehouse.Dubbo.Hessian;

namespace Gatehouse.Dubbo.Protocol;

/// <summary>The class name and message of an exception a provider returned.</summary>
/// <param name="ClassName">The Java class, e.g. <c>java.lang.IllegalArgumentException</c>; <c>java.lang.Exception</c> when unnamed.</param>
/// <param name="Message">The message; empty when none.</param>
public readonly record struct DubboExceptionInfo(string ClassName, string Message)
{
    /// <summary>Reads a returned exception value: a Throwable object (field <c>detailMessage</c>), a map, or a plain string.</summary>
    public static DubboExceptionInfo From(object? value) => value switch
    {
        HessianObject o => new(o.ClassName, (o.Get("detailMessage") ?? o.Get("message")) as string ?? ""),
        HessianMap m => new(m.Type ?? (m.Get("$class") as string) ?? "java.lang.Exception",
            (m.Get("detailMessage") ?? m.Get("message")) as string ?? ""),
        string s => new("java.lang.Exception", s),
        _ => new("java.lang.Exception", ""),
    };

    /// <inheritdoc/>
    public override string ToString() => Message.Length == 0 ? ClassName : $"{ClassName}: {Message}";
}
