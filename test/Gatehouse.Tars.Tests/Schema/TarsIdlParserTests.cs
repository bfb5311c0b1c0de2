using Gatehouse.Tars.Schema;

namespace Gatehouse.Tars.Tests.Schema;

public sealed class TarsIdlParserTests
{
    [Fact]
    public void Parse_InterfaceSubset_StructsFunctionsOutParametersEnums()
    {
        var idl = TarsIdlParser.Parse("""
            #include "Other.tars"
            /* a block
               comment */
            module App
            {
                enum Kind { A, B = 3 };
                const string Name = "x;y";
                struct Inner { 0 optional unsigned int n; 1 optional vector<byte> raw; };
                struct Outer
                {
                    1 require map<string, vector<App::Inner>> items;
                    0 optional Kind kind = A;
                    15 optional string high;   // a tag above 14
                };
                key[Outer, kind];
                interface Svc
                {
                    Outer get(routekey long id, out Inner first);
                    void put(Outer value);
                };
            };
            """);

        var outer = idl.Structs["Outer"];
        Assert.Equal([0, 1, 15], outer.Fields.Select(f => f.Tag));
        Assert.Equal(TarsTypeKind.Int, outer.Fields[0].Type.Kind);
        Assert.True(outer.Fields[1].Required);
        Assert.Equal("Inner", outer.Fields[1].Type.Element!.Element!.Struct!.Name);
        Assert.Equal(TarsTypeKind.Long, idl.Structs["Inner"].Fields[0].Type.Kind);
        Assert.Equal(TarsTypeKind.Bytes, idl.Structs["Inner"].Fields[1].Type.Kind);

        var get = idl.Function("Svc", "get");
        Assert.Equal("Outer", get.ReturnType!.Struct!.Name);
        Assert.Equal([("id", false), ("first", true)], get.Parameters.Select(p => (p.Name, p.Out)));
        Assert.Null(idl.Function(null, "put").ReturnType);
    }

    [Theory]
    [InlineData("module M { struct S { 0 require int a; 0 optional int b; }; };", "tag 0 is used twice")]
    [InlineData("module M { struct S { 0 require Missing a; }; };", "struct 'Missing' is not defined")]
    [InlineData("module M { struct S { x require int a; }; };", "line 1: struct S: expected a field tag")]
    [InlineData("module M { interface I { int f(int a, int a); }; };", "I.f: parameter name 'a' is blank or used twice")]
    [InlineData("module M { interface I { int f(int a) }; };", "expected ';'")]
    [InlineData("module M { struct S { 0 require int a; };", "unexpected end")]
    [InlineData("module M { typedef int X; };", "expected struct, interface, enum, const or key")]
    public void Parse_Errors_SayWhatAndWhere(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => TarsIdlParser.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("I", "nope", "interface 'I' with a function 'nope' is not declared")]
    [InlineData(null, "f", "several interfaces declare 'f'")]
    [InlineData(null, "g", "no interface declares a function 'g'")]
    public void Function_NotFoundOrAmbiguous_Throws(string? interfaceName, string function, string message)
    {
        var idl = TarsIdlParser.Parse("module M { interface I { int f(); }; interface J { int f(); }; };");
        Assert.StartsWith(message, Assert.Throws<FormatException>(() => idl.Function(interfaceName, function)).Message);
    }
}
