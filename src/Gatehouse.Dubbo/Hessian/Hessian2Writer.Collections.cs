using System.Collections;

namespace Gatehouse.Dubbo.Hessian;

/// <summary>Lists, maps, objects with their class definitions, and the reference and type tables.</summary>
public sealed partial class Hessian2Writer
{
    /// <summary>A list of known length: typed when <see cref="HessianList.Type"/> is set.</summary>
    public void WriteList(HessianList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (TryWriteReference(list))
        {
            return;
        }

        var count = list.Items.Count;
        if (list.Type is null)
        {
            if (count <= 7)
            {
                WriteByte((byte)(0x78 + count));
            }
            else
            {
                WriteByte((byte)'X');
                WriteInt(count);
            }
        }
        else if (count <= 7)
        {
            WriteByte((byte)(0x70 + count));
            WriteType(list.Type);
        }
        else
        {
            WriteByte((byte)'V');
            WriteType(list.Type);
            WriteInt(count);
        }

        foreach (var item in list.Items)
        {
            WriteValue(item);
        }
    }

    /// <summary>A map: 'M' with its type when typed, else 'H'; ends with 'Z'.</summary>
    public void WriteMap(HessianMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (TryWriteReference(map))
        {
            return;
        }

        if (map.Type is null)
        {
            WriteByte((byte)'H');
        }
        else
        {
            WriteByte((byte)'M');
            WriteType(map.Type);
        }

        foreach (var entry in map.Entries)
        {
            WriteValue(entry.Key);
            WriteValue(entry.Value);
        }

        WriteByte((byte)'Z');
    }

    /// <summary>An object: its class definition ('C') the first time the class and field list are seen, then the instance.</summary>
    public void WriteObject(HessianObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (TryWriteReference(value))
        {
            return;
        }

        // A class definition is keyed by name and field list: two instances of one class with different fields
        // (possible when objects come from JSON) need definitions of their own.
        var key = value.ClassName;
        foreach (var field in value.Fields)
        {
            key += "\0" + field.Key;
        }

        if (!_classDefinitions.TryGetValue(key, out var index))
        {
            index = _classDefinitions.Count;
            _classDefinitions[key] = index;
            WriteByte((byte)'C');
            WriteString(value.ClassName);
            WriteInt(value.Fields.Count);
            foreach (var field in value.Fields)
            {
                WriteString(field.Key);
            }
        }

        if (index <= 15)
        {
            WriteByte((byte)(0x60 + index));
        }
        else
        {
            WriteByte((byte)'O');
            WriteInt(index);
        }

        foreach (var field in value.Fields)
        {
            WriteValue(field.Value);
        }
    }

    private void WriteDictionary(IDictionary dictionary)
    {
        if (TryWriteReference(dictionary))
        {
            return;
        }

        WriteByte((byte)'H');
        foreach (DictionaryEntry entry in dictionary)
        {
            WriteValue(entry.Key);
            WriteValue(entry.Value);
        }

        WriteByte((byte)'Z');
    }

    private void WriteSequence(IEnumerable sequence)
    {
        if (TryWriteReference(sequence))
        {
            return;
        }

        if (sequence is ICollection collection)
        {
            if (collection.Count <= 7)
            {
                WriteByte((byte)(0x78 + collection.Count));
            }
            else
            {
                WriteByte((byte)'X');
                WriteInt(collection.Count);
            }

            foreach (var item in collection)
            {
                WriteValue(item);
            }

            return;
        }

        WriteByte((byte)'W');
        foreach (var item in sequence)
        {
            WriteValue(item);
        }

        WriteByte((byte)'Z');
    }

    private bool TryWriteReference(object value)
    {
        _references ??= new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        if (_references.TryGetValue(value, out var index))
        {
            WriteByte(0x51);
            WriteInt(index);
            return true;
        }

        _references[value] = _referenceCount++;
        return false;
    }

    private void WriteType(string type)
    {
        if (_types.TryGetValue(type, out var index))
        {
            WriteInt(index);
            return;
        }

        _types[type] = _types.Count;
        WriteString(type);
    }
}
