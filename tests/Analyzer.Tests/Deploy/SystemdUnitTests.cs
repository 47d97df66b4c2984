using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;

namespace Analyzer.Tests.Deploy;

/// <summary>
/// deploy/systemd/analyzer.service: its settings, <c>systemd-analyze verify</c>, and the readiness protocol of
/// Type=notify spoken by the real executable. systemd itself cannot run the unit here: PID 1 of this container is not
/// systemd, so there is no service manager to start it.
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private const string UnitFile = "deploy/systemd/analyzer.service";

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-systemd-");

    public void Dispose() => directory.Delete(recursive: true);

    /// <summary>The unit's lines as (section, key, value), in order (a key may repeat, as Environment= does).</summary>
    private static List<(string Section, string Key, string Value)> Unit()
    {
        var entries = new List<(string, string, string)>();
        var section = "";
        foreach (var line in DeployFiles.Read(UnitFile).Split('\n').Select(l => l.Trim()))
        {
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';'))
            {
                continue;
            }
            if (line.StartsWith('['))
            {
                section = line.Trim('[', ']');
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"not a key=value line: {line}");
            entries.Add((section, line[..equals], line[(equals + 1)..]));
        }
        return entries;
    }

    private static string Service(string key) => Assert.Single(Unit(), e => e.Section == "Service" && e.Key == key).Value;

    [Fact]
    public void It_restarts_always_as_a_dedicated_user_with_its_state_directory_and_hardening()
    {
        Assert.Equal("notify", Service("Type"));
        Assert.Equal("always", Service("Restart"));
        Assert.Equal("yes", Service("DynamicUser"));
        Assert.Equal("analyzer", Service("StateDirectory"));
        Assert.StartsWith("-/etc/analyzer/", Service("EnvironmentFile"), StringComparison.Ordinal);
        Assert.Equal("strict", Service("ProtectSystem"));
        Assert.All(["NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices", "ProtectKernelTunables", "RestrictSUIDSGID"],
            key => Assert.Equal("yes", Service(key)));
        Assert.Equal("", Service("CapabilityBoundingSet"));
        Assert.Equal("multi-user.target", Assert.Single(Unit(), e => e.Section == "Install" && e.Key == "WantedBy").Value);
    }

    [Fact]
    public void It_waits_longer_than_the_shutdown_timeout_and_its_settings_are_accepted()
    {
        var environment = Unit().Where(e => e.Section == "Service" && e.Key == "Environment")
            .Select(e => e.Value.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var shutdown = int.Parse(environment.GetValueOrDefault("ANALYZER_SHUTDOWN_TIMEOUT", Setting.Format(new WebOptions().ShutdownTimeoutSeconds)!), CultureInfo.InvariantCulture);

        Assert.True(int.Parse(Service("TimeoutStopSec"), CultureInfo.InvariantCulture) > shutdown);
        Assert.Null(DeployFiles.RefusedSettings(environment.Where(p => p.Key.StartsWith(Settings.VariablePrefix, StringComparison.Ordinal))));
        // The database lives in the state directory, which the dynamic user owns.
        Assert.StartsWith("sqlite:///var/lib/" + Service("StateDirectory") + "/", environment["ANALYZER_DB"], StringComparison.Ordinal);
        Assert.Equal("/var/lib/" + Service("StateDirectory"), Service("WorkingDirectory"));
        Assert.Equal("/var/cache/" + Service("CacheDirectory"), environment["DOTNET_BUNDLE_EXTRACT_BASE_DIR"]);
    }

    /// <summary>verify needs ExecStart's program to exist: a copy of the unit runs the executable the tests built instead of /opt/analyzer/analyzer.</summary>
    [ToolFact("systemd-analyze")]
    public async Task Systemd_analyze_verify_passes_without_a_warning()
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "analyzer");
        Assert.True(File.Exists(executable), $"{executable}: the apphost of the build");
        var unit = Path.Combine(directory.FullName, "analyzer.service");
        var text = DeployFiles.Read(UnitFile);
        Assert.Contains("ExecStart=/opt/analyzer/analyzer serve", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(unit, text.Replace("ExecStart=/opt/analyzer/analyzer", "ExecStart=" + executable, StringComparison.Ordinal));

        var verify = await DeployFiles.RunAsync(ToolFactAttribute.Require("systemd-analyze"), ["verify", unit]);

        // verify only warns (exit code 0) about an unknown key or value: any line it prints fails the test.
        Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0 && verify.Error.Trim().Length == 0,
            $"systemd-analyze verify: exit code {verify.ExitCode}\n{verify.Output}\n{verify.Error}");
    }

    [ToolFact("systemd-analyze")]
    public async Task Systemd_analyze_verify_catches_a_bad_unit()
    {
        var unit = Path.Combine(directory.FullName, "broken.service");
        await File.WriteAllTextAsync(unit, DeployFiles.Read(UnitFile).Replace("Type=notify", "Type=notifyy", StringComparison.Ordinal)
            .Replace("ExecStart=/opt/analyzer/analyzer", "ExecStart=/bin/true", StringComparison.Ordinal));

        var verify = await DeployFiles.RunAsync(ToolFactAttribute.Require("systemd-analyze"), ["verify", unit]);

        Assert.Contains("notifyy", verify.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Type=notify as systemd runs it: NOTIFY_SOCKET names a datagram socket, and the service (whose parent is a process
    /// named systemd, which is how Microsoft.Extensions.Hosting.Systemd 10 recognises it) sends READY=1 once it serves
    /// and STOPPING=1 on SIGTERM; its log lines stay the JSON of --log-format.
    /// </summary>
    [Fact]
    public async Task The_service_sends_ready_once_it_serves_and_stopping_on_sigterm()
    {
        var socketPath = Path.Combine(directory.FullName, "notify");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        // A shell named systemd as the parent; "; exit" keeps it from exec'ing the service in its place.
        var systemd = Path.Combine(directory.FullName, "systemd");
        File.Copy("/bin/sh", systemd);
        var port = AnalyzerProcess.FreePort();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var command = $"exec 2>&1; '{dotnet}' '{AnalyzerProcess.Executable}' --api-address 127.0.0.1 --api-port {port} --db 'sqlite://{directory.FullName}/a.db'; exit $?";
        var start = new System.Diagnostics.ProcessStartInfo(systemd) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["NOTIFY_SOCKET"] = socketPath;
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ANALYZER_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        using var parent = System.Diagnostics.Process.Start(start)!;
        var output = parent.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.Equal("READY=1", await ReceiveAsync(socket));
            using (var client = new HttpClient())
            {
                // READY=1 comes after the port listens and migrations ran: the service answers at once.
                Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{port}/health"))).StatusCode);
            }
            var service = int.Parse(File.ReadAllText($"/proc/{parent.Id}/task/{parent.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Single(), CultureInfo.InvariantCulture);
            Assert.Equal(0, Kill(service, 15));
            Assert.Equal("STOPPING=1", await ReceiveAsync(socket));
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await parent.WaitForExitAsync(exit.Token);
            Assert.Equal(0, parent.ExitCode);
            var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.StartsWith("{", line, StringComparison.Ordinal));
        }
        finally
        {
            if (!parent.HasExited)
            {
                parent.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received).Trim();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
