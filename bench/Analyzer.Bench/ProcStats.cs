using System.Globalization;
using System.Runtime.InteropServices;

namespace Analyzer.Bench;

/// <summary>Memory and CPU of a local process from /proc (Linux).</summary>
public static partial class ProcStats
{
    private static readonly double TicksPerSecond = ClockTicks();

    /// <summary>A field of /proc/PID/status in KiB (VmHWM: peak RSS, VmRSS: current), or null.</summary>
    public static long? StatusKb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var value = line[(field.Length + 1)..].Trim();
                    var space = value.IndexOf(' ', StringComparison.Ordinal);
                    return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process is gone or not ours to read: no figure.
        }
        return null;
    }

    public static long? PeakRssKb(int pid) => StatusKb(pid, "VmHWM");

    public static long? RssKb(int pid) => StatusKb(pid, "VmRSS");

    /// <summary>
    /// Resets VmHWM to the current RSS (writing 5 to /proc/PID/clear_refs, Linux ≥ 4.0, needs the right to write
    /// it), so that the next peak belongs to the next phase. False when the kernel or permissions refuse.
    /// </summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>utime + stime (+ cutime + cstime: waited-for children) in seconds, or null.</summary>
    public static double? CpuSeconds(int pid, bool withWaitedChildren = false)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return null;
        }
        // After "pid (comm) ": state is field 3, so field k is at index k - 3; utime 14, stime 15, cutime 16, cstime 17.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (withWaitedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }
        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of a process tree such as a PostgreSQL server: the process with its waited-for children plus
    /// its children still running (PostgreSQL backends are children of the postmaster).
    /// </summary>
    public static double? TreeCpuSeconds(int pid)
    {
        var total = CpuSeconds(pid, withWaitedChildren: true);
        if (total is null)
        {
            return null;
        }
        foreach (var child in Children(pid))
        {
            total += CpuSeconds(child) ?? 0;
        }
        return total;
    }

    /// <summary>Summed VmRSS of a process and its children in KiB (shared pages are counted in each).</summary>
    public static long TreeRssKb(int pid) => (RssKb(pid) ?? 0) + Children(pid).Sum(child => RssKb(child) ?? 0);

    public static IEnumerable<int> Children(int pid)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var candidate)
                && StatFields(candidate) is { } fields
                && int.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
            {
                yield return candidate;
            }
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages of the machine.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double ClockTicks()
    {
        try
        {
            var ticks = sysconf(ScClkTck);
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    private const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long sysconf(int name);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends SIGTERM (a graceful stop) to <paramref name="pid"/>; false (with the reason on stderr) when it cannot.</summary>
    public static bool Terminate(int pid)
    {
        if (pid <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "a process id is positive (0 and -1 would signal a whole group)");
        }
        if (Kill(pid, 15) == 0)
        {
            return true;
        }
        Console.Error.WriteLine($"cannot stop process {pid}: errno {Marshal.GetLastPInvokeError()}");
        return false;
    }
}

/// <summary>Polls a process's VmRSS every few milliseconds and keeps the largest value seen.</summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly int pid;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long maxKb;

    public RssSampler(int pid)
    {
        this.pid = pid;
        maxKb = ProcStats.RssKb(pid) ?? 0;
        loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    Sample();
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed: sampling ends.
            }
        });
    }

    public long MaxKb => Interlocked.Read(ref maxKb);

    private void Sample()
    {
        if (ProcStats.RssKb(pid) is { } kb && kb > Interlocked.Read(ref maxKb))
        {
            Interlocked.Exchange(ref maxKb, kb);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        Sample();
        stop.Dispose();
    }
}
