using System.ComponentModel.DataAnnotations;
using Analyzer.Web;

namespace Analyzer.Jobs;

/// <summary>Settings of the durable jobs (POST ... with Prefer: respond-async). See <see cref="Settings"/>.</summary>
public sealed class JobsOptions
{
    [ConfigurationKeyName("WORKERS"), Setting("Jobs this process runs at once (0: it takes no jobs, other replicas do)"), Range(0, 64)]
    public int Workers { get; set; } = 1;

    [ConfigurationKeyName("JOB_MAX_ATTEMPTS"), Setting("Times a job is started before a job whose worker keeps dying is failed"), Range(1, 100)]
    public int JobMaxAttempts { get; set; } = 3;

    [ConfigurationKeyName("JOB_RETENTION"), Setting("Days finished jobs and their stored bodies are kept"), Range(1, 3650)]
    public int JobRetentionDays { get; set; } = 7;

    /// <summary>A worker renews its lease every second; a job whose lease ran out (its worker died) is taken by another worker.</summary>
    [ConfigurationKeyName("JOB_LEASE"), Setting("Seconds a running job's lease lasts without a heartbeat of its worker; then another worker takes the job over"), Range(2, 3600)]
    public int JobLeaseSeconds { get; set; } = 30;
}
