using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>The well-known types that have a JSON form of their own.</summary>
internal enum WellKnownKind
{
    None,
    Timestamp,
    Duration,
    Wrapper,
    Struct,
    Value,
    ListValue,
    Empty,
    FieldMask,
    Any,
}

/// <summary>Recognises well-known types by full name, so descriptors built from a descriptor set are recognised too.</summary>
internal static class WellKnown
{
    public const string Value = "google.protobuf.Value";
    public const string NullValue = "google.protobuf.NullValue";

    public static WellKnownKind Of(MessageDescriptor type) => type.FullName switch
    {
        "google.protobuf.Timestamp" => WellKnownKind.Timestamp,
        "google.protobuf.Duration" => WellKnownKind.Duration,
        "google.protobuf.DoubleValue" or "google.protobuf.FloatValue" or "google.protobuf.Int64Value" or "google.protobuf.UInt64Value"
            or "google.protobuf.Int32Value" or "google.protobuf.UInt32Value" or "google.protobuf.BoolValue"
            or "google.protobuf.StringValue" or "google.protobuf.BytesValue" => WellKnownKind.Wrapper,
        "google.protobuf.Struct" => WellKnownKind.Struct,
        Value => WellKnownKind.Value,
        "google.protobuf.ListValue" => WellKnownKind.ListValue,
        "google.protobuf.Empty" => WellKnownKind.Empty,
        "google.protobuf.FieldMask" => WellKnownKind.FieldMask,
        "google.protobuf.Any" => WellKnownKind.Any,
        _ => WellKnownKind.None,
    };
}
