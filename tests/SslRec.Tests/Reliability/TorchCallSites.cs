using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace SslRec.Tests.Reliability;

/// <summary>
/// Reads the IL of SslRec's compiled assemblies and lists every call into TorchSharp with the member it
/// calls (declaring type, name, parameter types). Used to find calls that make TorchSharp create a
/// temporary native Scalar the caller does not own.
/// </summary>
public static class TorchCallSites
{
    public sealed record Call(string Caller, string DeclaringType, string Name, ImmutableArray<string> Parameters)
    {
        public override string ToString() => $"{Caller} → {DeclaringType}.{Name}({string.Join(", ", Parameters)})";
    }

    private static readonly Dictionary<short, OperandType> Operands =
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value, o => o.OperandType);

    public static List<Call> In(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var calls = new List<Call>();
        foreach (var typeHandle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(typeHandle);
            foreach (var methodHandle in type.GetMethods())
            {
                var method = md.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0) continue;
                var caller = $"{FullName(md, typeHandle)}.{md.GetString(method.Name)}";
                var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
                while (il.RemainingBytes > 0)
                {
                    short code = il.ReadByte();
                    if (code == 0xFE) code = (short)(0xFE00 | il.ReadByte());
                    var operand = Operands[code];
                    if (operand is OperandType.InlineMethod)
                    {
                        var token = il.ReadInt32();
                        if (Resolve(md, MetadataTokens.EntityHandle(token)) is { } c && c.DeclaringType.StartsWith("TorchSharp", StringComparison.Ordinal))
                            calls.Add(c with { Caller = caller });
                        continue;
                    }
                    // The switch table's length is read first: `il.Offset += 4 * il.ReadInt32()` would add it
                    // to the offset from before the read, and lose step with the IL after every `switch`.
                    var skip = operand switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        OperandType.InlineSwitch => 4 * il.ReadInt32(),
                        _ => 4,
                    };
                    il.Offset += skip;
                }
            }
        }
        return calls;
    }

    /// <summary>"Namespace.Outer+Inner" for a type of the assembly (closures and iterators are nested types).</summary>
    private static string FullName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var declaring = type.GetDeclaringType();
        return declaring.IsNil ? $"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}" : $"{FullName(md, declaring)}+{md.GetString(type.Name)}";
    }

    private static Call? Resolve(MetadataReader md, EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.MemberReference:
                var member = md.GetMemberReference((MemberReferenceHandle)handle);
                if (member.GetKind() != MemberReferenceKind.Method) return null;
                var signature = member.DecodeMethodSignature(Names.Instance, null);
                return new Call("", TypeName(md, member.Parent), md.GetString(member.Name), signature.ParameterTypes);
            case HandleKind.MethodSpecification:
                return Resolve(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            default:
                return null; // a method of the assembly itself
        }
    }

    private static string TypeName(MetadataReader md, EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeReference => Names.Instance.GetTypeFromReference(md, (TypeReferenceHandle)parent, 0),
        HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)parent).DecodeSignature(Names.Instance, null),
        _ => "",
    };

    /// <summary>Type names as "Namespace.Outer+Inner" (generic arguments dropped), enough to match members by.</summary>
    private sealed class Names : ISignatureTypeProvider<string, object?>
    {
        public static readonly Names Instance = new();
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var t = reader.GetTypeDefinition(handle);
            return $"{reader.GetString(t.Namespace)}.{reader.GetString(t.Name)}";
        }
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var t = reader.GetTypeReference(handle);
            var name = reader.GetString(t.Name);
            return t.ResolutionScope.Kind == HandleKind.TypeReference
                ? GetTypeFromReference(reader, (TypeReferenceHandle)t.ResolutionScope, 0) + "+" + name
                : $"{reader.GetString(t.Namespace)}.{name}";
        }
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType == "System.Nullable`1" ? typeArguments[0] + "?" : genericType;
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
    }
}
