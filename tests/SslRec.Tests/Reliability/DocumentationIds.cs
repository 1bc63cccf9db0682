using System.Reflection;

namespace SslRec.Tests.Reliability;

/// <summary>
/// The documentation comment id of a method ("M:TorchSharp.torch.Tensor.pow(System.Double)"), the form a
/// BannedSymbols.txt names symbols in (C# spec, "Documentation comments", ID string format).
/// </summary>
public static class DocumentationIds
{
    public static string Of(MethodInfo m)
    {
        var id = $"M:{TypeName(m.DeclaringType!)}.{m.Name.Replace('.', '#')}";
        if (m.IsGenericMethodDefinition) id += "``" + m.GetGenericArguments().Length;
        var parameters = m.GetParameters();
        if (parameters.Length > 0) id += "(" + string.Join(",", parameters.Select(p => Of(p.ParameterType))) + ")";
        // conversion operators differ by their result type only
        if (m.Name is "op_Implicit" or "op_Explicit") id += "~" + Of(m.ReturnType);
        return id;
    }

    private static string Of(Type t)
    {
        if (t.IsByRef) return Of(t.GetElementType()!) + "@";
        if (t.IsPointer) return Of(t.GetElementType()!) + "*";
        if (t.IsArray) return Of(t.GetElementType()!) + (t.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", t.GetArrayRank())) + "]");
        if (t.IsGenericParameter) return (t.DeclaringMethod is null ? "`" : "``") + t.GenericParameterPosition;
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
        {
            var name = TypeName(t.GetGenericTypeDefinition());
            return name[..name.LastIndexOf('`')] + "{" + string.Join(",", t.GetGenericArguments().Select(Of)) + "}";
        }
        return TypeName(t);
    }

    /// <summary>Namespace.Outer.Inner, with a generic definition's arity: System.Func`1.</summary>
    private static string TypeName(Type t) =>
        t.IsNested ? $"{TypeName(t.DeclaringType!)}.{t.Name}" : string.IsNullOrEmpty(t.Namespace) ? t.Name : $"{t.Namespace}.{t.Name}";
}
