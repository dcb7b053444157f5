using k8s;
using k8s.Models;

namespace ClientTools.Cache;

/// <summary>Index functions: each maps an object to the index values it is filed under.</summary>
public static class Indexers
{
    public const string Namespace = "namespace";

    public const string PodNodeName = "spec.nodeName";

    public static IEnumerable<string> ByNamespace(IMetadata<V1ObjectMeta> obj) =>
        obj.Metadata?.NamespaceProperty is { Length: > 0 } ns ? [ns] : [];

    public static IEnumerable<string> ByNodeName(V1Pod pod) =>
        pod.Spec?.NodeName is { Length: > 0 } node ? [node] : [];
}

/// <summary>
/// An informer's local cache (client-go's thread-safe indexed store): objects by key plus any
/// number of named indexes. Objects are shared with every reader and must not be modified;
/// copy one before changing it.
/// </summary>
public sealed class Indexer<T>
    where T : class, IMetadata<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indices = new(StringComparer.Ordinal);

    /// <summary>Adds an index; existing objects are filed at once.</summary>
    public void AddIndexer(string name, Func<T, IEnumerable<string>> indexFunc)
    {
        lock (_lock)
        {
            if (!_indexers.TryAdd(name, indexFunc))
            {
                throw new InvalidOperationException($"indexer {name} already exists");
            }

            var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            _indices[name] = index;
            foreach (var (key, item) in _items)
            {
                foreach (var value in indexFunc(item))
                {
                    File(index, value, key);
                }
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public T? Get(string key)
    {
        lock (_lock)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public T? Get(string? ns, string name) => Get(ObjectKeys.KeyOf(ns, name));

    public IReadOnlyList<T> List()
    {
        lock (_lock)
        {
            return [.. _items.Values];
        }
    }

    public IReadOnlyList<string> ListKeys()
    {
        lock (_lock)
        {
            return [.. _items.Keys];
        }
    }

    /// <summary>The objects filed under <paramref name="value"/> in index <paramref name="indexName"/>.</summary>
    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (_lock)
        {
            if (!_indices.TryGetValue(indexName, out var index))
            {
                throw new InvalidOperationException($"index {indexName} does not exist");
            }

            return index.TryGetValue(value, out var keys) ? [.. keys.Select(k => _items[k])] : [];
        }
    }

    /// <summary>Stores <paramref name="obj"/>; returns the object it replaced, if any.</summary>
    internal T? Upsert(T obj)
    {
        var key = ObjectKeys.KeyOf(obj);
        lock (_lock)
        {
            _items.TryGetValue(key, out var old);
            if (old is not null)
            {
                Unfile(key, old);
            }

            _items[key] = obj;
            foreach (var (name, indexFunc) in _indexers)
            {
                foreach (var value in indexFunc(obj))
                {
                    File(_indices[name], value, key);
                }
            }

            return old;
        }
    }

    /// <summary>Removes the object with <paramref name="key"/>; returns it, if it was there.</summary>
    internal T? Remove(string key)
    {
        lock (_lock)
        {
            if (!_items.Remove(key, out var old))
            {
                return null;
            }

            Unfile(key, old);
            return old;
        }
    }

    private void Unfile(string key, T obj)
    {
        foreach (var (name, indexFunc) in _indexers)
        {
            var index = _indices[name];
            foreach (var value in indexFunc(obj))
            {
                if (index.TryGetValue(value, out var keys))
                {
                    keys.Remove(key);
                    if (keys.Count == 0)
                    {
                        index.Remove(value);
                    }
                }
            }
        }
    }

    private static void File(Dictionary<string, HashSet<string>> index, string value, string key)
    {
        if (!index.TryGetValue(value, out var keys))
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            index[value] = keys;
        }

        keys.Add(key);
    }
}
