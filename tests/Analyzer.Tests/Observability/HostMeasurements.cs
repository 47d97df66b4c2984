using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Analyzer.Tests.Observability;

/// <summary>
/// Every measurement one in-memory service records from the moment this is made, read from its own meters (those of its
/// <see cref="IMeterFactory"/>): exact counts, without waiting for the exporter to serve a fresh scrape.
/// </summary>
public sealed class HostMeasurements : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, KeyValuePair<string, object?>[] Tags)> measurements = new();

    public HostMeasurements(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, (long)value, tags.ToArray())));
        listener.Start();
    }

    /// <summary>How many measurements of the instrument carried every one of the tags.</summary>
    public int Count(string instrument, params (string Key, object Value)[] tags) => Matching(instrument, tags).Count();

    /// <summary>The sum of the instrument's measurements that carried every one of the tags (a counter's total).</summary>
    public long Sum(string instrument, params (string Key, object Value)[] tags) => Matching(instrument, tags).Sum(m => m.Value);

    /// <summary>The values of the instrument's measurements that carried every one of the tags.</summary>
    public IReadOnlyList<long> Values(string instrument, params (string Key, object Value)[] tags) =>
        Matching(instrument, tags).Select(m => m.Value).ToList();

    private IEnumerable<(string Instrument, long Value, KeyValuePair<string, object?>[] Tags)> Matching(string instrument, (string Key, object Value)[] tags) =>
        measurements.Where(m => m.Instrument == instrument
            && tags.All(tag => m.Tags.Any(t => t.Key == tag.Key && t.Value?.ToString() == tag.Value.ToString())));

    public void Dispose() => listener.Dispose();
}
