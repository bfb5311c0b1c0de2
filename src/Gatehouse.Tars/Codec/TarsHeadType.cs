namespace Gatehouse.Tars.Codec;

/// <summary>The 14 value types of the Tars encoding: the low four bits of every head byte.</summary>
public enum TarsHeadType : byte
{
    /// <summary>1 byte, signed; also bool.</summary>
    Int8 = 0,

    /// <summary>2 bytes, big-endian.</summary>
    Int16 = 1,

    /// <summary>4 bytes, big-endian.</summary>
    Int32 = 2,

    /// <summary>8 bytes, big-endian.</summary>
    Int64 = 3,

    /// <summary>IEEE 754 single, big-endian.</summary>
    Float = 4,

    /// <summary>IEEE 754 double, big-endian.</summary>
    Double = 5,

    /// <summary>A string of at most 255 bytes: 1-byte length, UTF-8 bytes.</summary>
    String1 = 6,

    /// <summary>A longer string: 4-byte big-endian length, UTF-8 bytes.</summary>
    String4 = 7,

    /// <summary>A map: its size as an int at tag 0, then key (tag 0) and value (tag 1) per entry.</summary>
    Map = 8,

    /// <summary>A list: its size as an int at tag 0, then each element at tag 0.</summary>
    List = 9,

    /// <summary>Opens a struct; its fields follow with their own tags.</summary>
    StructBegin = 10,

    /// <summary>Closes a struct (written with tag 0).</summary>
    StructEnd = 11,

    /// <summary>The number 0 of any numeric type, without a payload (the zero compaction).</summary>
    Zero = 12,

    /// <summary>A byte array (<c>vector&lt;byte&gt;</c>): a head of type Int8 at tag 0, its length as an int at tag 0, the bytes.</summary>
    SimpleList = 13,
}

/// <summary>The input is not valid Tars encoding (truncated, a type where another was expected, a bad length).</summary>
public sealed class TarsFormatException(string message) : FormatException(message);
