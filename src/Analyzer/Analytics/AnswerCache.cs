using Analyzer.Observability;
using Microsoft.Extensions.Caching.Memory;

namespace Analyzer.Analytics;

/// <summary>
/// Serialised analytics answers, keyed by what they are computed from: the import's id and version (a
/// PATCH bumps it, in any replica, in the same transaction) and, for ages, today's date. A key can never
/// name stale data, so nothing is ever invalidated; entries are bounded by size and expire when unused. Hits and
/// misses are counted for <c>/metrics</c>.
/// </summary>
public sealed class AnswerCache(AnalyzerMetrics metrics) : IDisposable
{
    private static readonly TimeSpan Unused = TimeSpan.FromMinutes(10);

    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 256L * 1024 * 1024 });

    public async Task<byte[]> GetOrAddAsync(object key, Func<Task<byte[]>> compute)
    {
        if (cache.TryGetValue(key, out byte[]? json) && json is not null)
        {
            metrics.AnswerCacheHit();
            return json;
        }
        metrics.AnswerCacheMiss();
        json = await compute();
        cache.Set(key, json, new MemoryCacheEntryOptions { Size = json.Length, SlidingExpiration = Unused });
        return json;
    }

    /// <summary>
    /// Drops the answers of a deleted import. They could not be served anyway (the endpoints answer 404 before
    /// looking here, and import ids are never reused); this only frees their memory at once. Keys are tuples
    /// whose second item is the import id.
    /// </summary>
    public void ForgetImport(long importId)
    {
        foreach (var key in cache.Keys)
        {
            if (key is System.Runtime.CompilerServices.ITuple { Length: >= 2 } tuple && tuple[1] is long id && id == importId)
            {
                cache.Remove(key);
            }
        }
    }

    public void Dispose() => cache.Dispose();
}
