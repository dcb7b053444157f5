namespace ApiMachinery.Protobuf;

/// <summary>What a Go value is on the wire and in JSON.</summary>
internal enum ProtoKind : byte
{
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    Double,
    Float,

    /// <summary>metav1.Time: Timestamp{seconds, nanos} on the wire, RFC3339 to the second in JSON.</summary>
    Time,

    /// <summary>metav1.MicroTime: like Time, with six fractional digits in JSON.</summary>
    MicroTime,

    /// <summary>metav1.Duration: {int64 duration = 1} nanoseconds, Go's "1h2m3s" in JSON.</summary>
    Duration,

    /// <summary>resource.Quantity: {string string = 1}, a JSON string.</summary>
    Quantity,

    /// <summary>intstr.IntOrString: {type, intVal, strVal}, a JSON number or string.</summary>
    IntOrString,

    /// <summary>runtime.RawExtension: {bytes raw = 1} holding JSON, embedded as is.</summary>
    RawExtension,

    /// <summary>metav1.FieldsV1: {bytes Raw = 1} holding JSON, embedded as is.</summary>
    FieldsV1,

    Message,

    /// <summary>A named slice type (ExtraValue) that gogo carries as a message {repeated items = 1}.</summary>
    Wrapped,
}

[Flags]
internal enum ProtoFieldFlags : byte
{
    None = 0,
    Pointer = 1,
    OmitEmpty = 2,

    /// <summary>Kept from the Go tag; the codec does not act on it (see <see cref="ProtoField"/>).</summary>
    OmitZero = 4,
    Repeated = 8,
    Map = 16,

    /// <summary>An embedded struct whose fields JSON writes into the parent object.</summary>
    Inline = 32,
}

/// <summary>A value type; messages are linked after every row is read, since rows refer ahead.</summary>
internal sealed class ProtoType(ProtoKind kind, string? messageName = null, ProtoType? item = null)
{
    public ProtoKind Kind { get; } = kind;

    public string? MessageName { get; } = messageName;

    public ProtoMessage? Message { get; set; }

    /// <summary>The item type of a <see cref="ProtoKind.Wrapped"/> list.</summary>
    public ProtoType? Item { get; } = item;

    /// <summary>Varint-encoded kinds; the others are length-delimited or fixed.</summary>
    public bool IsVarint => Kind is ProtoKind.Bool or ProtoKind.Int32 or ProtoKind.Int64 or ProtoKind.UInt32 or ProtoKind.UInt64;

    public bool IsNumeric => IsVarint || Kind is ProtoKind.Double or ProtoKind.Float;

    /// <summary>Kinds Go's omitempty can drop: strings, byte slices, numbers and bools. Structs never.</summary>
    public bool IsOmittable => IsNumeric || Kind is ProtoKind.String or ProtoKind.Bytes;

    /// <summary>Kinds whose repeated occurrences on the wire merge rather than replace.</summary>
    public bool Merges => Kind >= ProtoKind.Time;

    public int WireType => Kind switch
    {
        ProtoKind.Double => 1,
        ProtoKind.Float => 5,
        _ => IsVarint ? 0 : 2,
    };

    public override string ToString() => MessageName ?? (Item is null ? Kind.ToString() : $"[]{Item}");
}

/// <summary>
/// One Go struct field. OmitZero is not acted on: kube-apiserver 1.32, which this server answers for,
/// predates the one omitzero tag (creationTimestamp, 1.34) and writes a zero creationTimestamp as null.
/// </summary>
internal sealed class ProtoField(int number, string? jsonName, ProtoFieldFlags flags, ProtoType type, ProtoType? key)
{
    /// <summary>0 for a field JSON has and protobuf lacks (an embedded TypeMeta).</summary>
    public int Number { get; } = number;

    /// <summary>null for a field protobuf has and JSON lacks (json:"-").</summary>
    public string? JsonName { get; } = jsonName;

    public ProtoFieldFlags Flags { get; } = flags;

    /// <summary>The value type; for a slice the element's, for a map the value's.</summary>
    public ProtoType Type { get; } = type;

    /// <summary>The key type of a map.</summary>
    public ProtoType? Key { get; } = key;

    public bool IsPointer => (Flags & ProtoFieldFlags.Pointer) != 0;

    public bool IsOmitEmpty => (Flags & ProtoFieldFlags.OmitEmpty) != 0;

    public bool IsRepeated => (Flags & ProtoFieldFlags.Repeated) != 0;

    public bool IsMap => (Flags & ProtoFieldFlags.Map) != 0;

    public bool IsInline => (Flags & ProtoFieldFlags.Inline) != 0;
}

/// <summary>One Go struct: fields in declaration order (JSON's order) and by number (the wire's order).</summary>
internal sealed class ProtoMessage
{
    private readonly sbyte[] _indexByNumber;

    public ProtoMessage(string name, ProtoField[] fields)
    {
        Name = name;
        Fields = fields;
        WireOrder = [.. fields.Where(f => f.Number > 0).OrderBy(f => f.Number)];
        var max = WireOrder.Length == 0 ? 0 : WireOrder[^1].Number;
        if (fields.Length > sbyte.MaxValue || max > 4096)
        {
            throw new InvalidOperationException($"{name}: too many fields for the dense index");
        }

        _indexByNumber = new sbyte[max + 1];
        Array.Fill(_indexByNumber, (sbyte)-1);
        for (var i = 0; i < fields.Length; i++)
        {
            if (fields[i].Number > 0)
            {
                _indexByNumber[fields[i].Number] = (sbyte)i;
            }
        }
    }

    public string Name { get; }

    public ProtoField[] Fields { get; }

    /// <summary>Fields with a protobuf number, ascending: the order gogo writes them.</summary>
    public ProtoField[] WireOrder { get; }

    /// <summary>The index in <see cref="Fields"/> of a field number, or -1 for one this schema lacks.</summary>
    public int IndexOf(int number) => (uint)number < (uint)_indexByNumber.Length ? _indexByNumber[number] : -1;

    public override string ToString() => Name;
}
