using System.Reflection;
using System.Runtime.InteropServices;

namespace Analyzer.Events;

/// <summary>
/// Loads librdkafka for Confluent.Kafka on the machines we run on. Two traps of the stock loading (upstream
/// confluent-kafka-dotnet issues 2282 and 2550): Confluent.Kafka imports <c>dlopen</c> from <c>libdl</c>, which
/// current glibc ships only as <c>libdl.so.2</c>; and librdkafka.redist's default <c>librdkafka.so</c> needs
/// <c>libsasl2.so.3</c>, which Debian 12 lacks, while its <c>centos8-librdkafka.so</c> is self-contained. A
/// <see cref="NativeLibrary.SetDllImportResolver"/> on the Confluent.Kafka assembly maps both, trying the variants in
/// order and keeping the first that loads; <see cref="Loaded"/> names it (the relay and <c>events tail</c> log it).
/// The same resolver serves the tests' mock cluster (they P/Invoke into the library this returns).
/// </summary>
public static class KafkaNative
{
    private static readonly Lock Gate = new();
    private static bool installed;
    private static IntPtr librdkafka;

    /// <summary>The path of the librdkafka that was loaded, or null before the first load.</summary>
    public static string? Loaded { get; private set; }

    /// <summary>Installs the resolver on Confluent.Kafka (once per process) and loads librdkafka; returns its handle.</summary>
    public static IntPtr Load()
    {
        lock (Gate)
        {
            if (!installed)
            {
                NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, Resolve);
                installed = true;
            }
            if (librdkafka == IntPtr.Zero)
            {
                (librdkafka, Loaded) = LoadLibrdkafka();
            }
            return librdkafka;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == "libdl" && OperatingSystem.IsLinux())
        {
            return NativeLibrary.TryLoad("libdl.so.2", out var libdl) ? libdl : IntPtr.Zero;
        }
        if (name.EndsWith("librdkafka", StringComparison.Ordinal))
        {
            return Load();
        }
        return IntPtr.Zero; // the runtime's own search
    }

    private static (IntPtr Handle, string Path) LoadLibrdkafka()
    {
        var failures = new List<string>();
        foreach (var path in Candidates())
        {
            if (!File.Exists(path))
            {
                continue;
            }
            try
            {
                return (NativeLibrary.Load(path), path);
            }
            catch (DllNotFoundException e)
            {
                failures.Add($"{path}: {e.Message}");
            }
        }
        if (NativeLibrary.TryLoad("librdkafka", typeof(KafkaNative).Assembly, null, out var handle))
        {
            return (handle, "librdkafka (system search path)");
        }
        throw new DllNotFoundException("no librdkafka could be loaded: " + (failures.Count == 0 ? "none found" : string.Join("; ", failures)));
    }

    /// <summary>
    /// The files to try: in the application's folder (a RID-specific publish flattens the native files there; a
    /// single-file executable extracts them to a folder of NATIVE_DLL_SEARCH_DIRECTORIES) and in runtimes/RID/native
    /// (a portable build); per folder the stock library first, then the self-contained variant.
    /// </summary>
    private static IEnumerable<string> Candidates()
    {
        var folders = new List<string> { AppContext.BaseDirectory };
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searched)
        {
            folders.AddRange(searched.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }
        var rid = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            _ => "x64",
        };
        string[] names = OperatingSystem.IsLinux()
            ? (IsMusl() ? ["alpine-librdkafka.so", "librdkafka.so"] : ["librdkafka.so", "centos8-librdkafka.so"])
            : OperatingSystem.IsMacOS() ? ["librdkafka.dylib"] : ["librdkafka.dll"];
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : "win";
        foreach (var folder in folders.Distinct(StringComparer.Ordinal))
        {
            foreach (var sub in new[] { folder, Path.Combine(folder, "runtimes", $"{os}-{rid}", "native") })
            {
                foreach (var name in names)
                {
                    yield return Path.Combine(sub, name);
                }
            }
        }
    }

    private static bool IsMusl() =>
        OperatingSystem.IsLinux() && Directory.Exists("/lib") && Directory.EnumerateFiles("/lib", "ld-musl-*").Any();
}
