using System.Collections;
using System.Reflection;

namespace Gatehouse.Core.Tests.Config;

/// <summary>
/// Structural comparison of config records. Record equality cannot be used: list members compare by reference.
/// </summary>
internal static class ModelAssert
{
    /// <summary>Asserts that every public property, at any depth, holds an equal value.</summary>
    public static void DeepEqual(object? expected, object? actual, string path = "config")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }

        if (IsLeaf(expected.GetType()))
        {
            Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}");
            return;
        }

        if (expected is IEnumerable<KeyValuePair<string, string>> expectedMap)
        {
            var actualMap = Assert.IsAssignableFrom<IEnumerable<KeyValuePair<string, string>>>(actual);
            Assert.Equal(expectedMap.OrderBy(p => p.Key, StringComparer.Ordinal), actualMap.OrderBy(p => p.Key, StringComparer.Ordinal));
            return;
        }

        if (expected is IEnumerable expectedItems)
        {
            var e = expectedItems.Cast<object?>().ToList();
            var a = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
            Assert.True(e.Count == a.Count, $"{path}: expected {e.Count} items, got {a.Count}");
            for (var i = 0; i < e.Count; i++)
            {
                DeepEqual(e[i], a[i], $"{path}[{i}]");
            }

            return;
        }

        foreach (var property in Properties(expected.GetType()))
        {
            DeepEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    /// <summary>
    /// Asserts that every property, at any depth, differs from its value in a new instance (lists and maps not
    /// empty), so a fixture built this way exercises every member, including ones added to the model later.
    /// </summary>
    public static void EveryMemberSet(object value, string path = "config")
    {
        var fresh = Activator.CreateInstance(value.GetType())!;
        foreach (var property in Properties(value.GetType()))
        {
            var current = property.GetValue(value);
            var memberPath = $"{path}.{property.Name}";
            Assert.True(current is not null, $"{memberPath} is not set");
            if (IsLeaf(current.GetType()))
            {
                Assert.True(!Equals(current, property.GetValue(fresh)), $"{memberPath} still holds its default {current}");
            }
            else if (current is IEnumerable<KeyValuePair<string, string>> map)
            {
                Assert.True(map.Any(), $"{memberPath} is empty");
            }
            else if (current is IEnumerable items)
            {
                var list = items.Cast<object>().ToList();
                Assert.True(list.Count > 0, $"{memberPath} is empty");
                foreach (var item in list.Where(i => !IsLeaf(i.GetType())))
                {
                    EveryMemberSet(item, memberPath);
                }
            }
            else
            {
                EveryMemberSet(current, memberPath);
            }
        }
    }

    private static bool IsLeaf(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string);

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0);
}
