using Analyzer.Storage;
using Microsoft.Extensions.Options;

namespace Analyzer.Events;

/// <summary>
/// Deletes events <c>--event-retention</c> days after the relay published them, or, without a relay, after they occurred.
/// While a relay is configured an unpublished event is never purged, however old. <c>GET /events</c> answers 410 to a
/// client that asks for purged events (see <see cref="OutboxStore.PurgeAsync"/>).
/// </summary>
public sealed class OutboxPurge(OutboxStore outbox, IOptions<EventsOptions> options) : IPurge
{
    public string What => "events";

    public Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        outbox.PurgeAsync(now - TimeSpan.FromDays(options.Value.EventRetentionDays), options.Value.RelayConfigured, cancellationToken);
}
