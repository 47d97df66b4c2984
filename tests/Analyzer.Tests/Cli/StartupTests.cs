using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;

namespace Analyzer.Tests.Cli;

/// <summary>
/// Start-up of the real executable: the address it listens on, and the one line (no stack trace) with which it refuses
/// an environment it cannot serve in (port taken, database folder unusable, schema behind, database unreachable) or a
/// destructive downgrade.
/// </summary>
public sealed partial class StartupTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private static readonly IReadOnlyList<Migration> Migrations = Migrator.Load(SqlDialect.Sqlite);

    private readonly DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("analyzer-startup-");

    private string WorkingDirectory => workingDirectory.FullName;

    public void Dispose() => workingDirectory.Delete(recursive: true);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs the executable and waits (bounded) for it to end: a service that starts by mistake fails the test instead of hanging it.</summary>
    private async Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        await using var process = AnalyzerProcess.Start(WorkingDirectory, environment, arguments);
        try
        {
            return await process.WaitForExitAsync(ExitTimeout);
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"analyzer {string.Join(' ', arguments)} should have refused to start; it kept running:\n{e.Message}");
            throw;
        }
    }

    private Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    /// <summary>The one line a refused start prints: "analyzer: ...", no stack trace anywhere.</summary>
    private static string AssertOneErrorLine(ProcessResult result, int exitCode)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit code {exitCode}: {result}");
        return result.AssertOneErrorLine();
    }

    private async Task<int> CurrentVersionAsync(string databaseUrl)
    {
        var current = await RunAsync("db", "current", "--db", databaseUrl);
        Assert.True(current.ExitCode == 0, current.ToString());
        return int.Parse(Assert.Single(current.OutputLines)[..4], CultureInfo.InvariantCulture);
    }

    // --- --api-address ---

    [BackendTheory]
    [InlineData("127.0.0.l")]
    [InlineData("myhost.example")]
    [InlineData("300.1.2.3")]
    [InlineData("127.1")]
    [InlineData("not an address")]
    public async Task An_api_address_that_is_not_an_ip_or_a_resolvable_host_exits_2_naming_the_option(string address)
    {
        var result = await RunAsync("--api-address", address, "--api-port", Port(AnalyzerProcess.FreePort()), "--db", "sqlite:never.db");

        var line = AssertOneErrorLine(result, 2);
        Assert.Contains("--api-address", line, StringComparison.Ordinal);
        Assert.Contains(address, line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(WorkingDirectory, "never.db")), "nothing may start before the address is known to be good");
    }

    [BackendFact]
    public async Task A_bad_api_address_in_the_environment_is_refused_naming_the_variable()
    {
        var result = await RunAsync(new Dictionary<string, string> { ["ANALYZER_API_ADDRESS"] = "127.0.0.l" },
            "--api-port", Port(AnalyzerProcess.FreePort()), "--db", "sqlite:never.db");

        var line = AssertOneErrorLine(result, 2);
        Assert.Contains("ANALYZER_API_ADDRESS", line, StringComparison.Ordinal);
    }

    [BackendTheory]
    [InlineData("localhost")]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    public async Task Localhost_every_interface_and_an_ip_address_are_accepted(string address)
    {
        var port = AnalyzerProcess.FreePort();
        await using var process = AnalyzerProcess.Start(WorkingDirectory, null, "--api-address", address, "--api-port", Port(port), "--db", "sqlite:accepted.db");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        await process.WaitUntilHealthyAsync(client);
        var exit = await process.TerminateAsync();

        Assert.True(exit.ExitCode == 0, exit.ToString());
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://[^\s""\\]+)")]
    private static partial Regex ListeningOn();

    [BackendFact]
    public async Task A_host_name_binds_exactly_the_addresses_it_resolves_to_and_never_every_interface()
    {
        var host = Dns.GetHostName();
        var addresses = (await Dns.GetHostAddressesAsync(host)).Distinct().ToList();
        Assert.NotEmpty(addresses);
        var port = AnalyzerProcess.FreePort();

        await using var process = AnalyzerProcess.Start(WorkingDirectory, null,
            "--api-address", host, "--api-port", Port(port), "--db", "sqlite:host.db", "--log-format", "text");
        var first = addresses[0];
        using var client = new HttpClient
        {
            BaseAddress = new Uri($"http://{(first.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{first}]" : first.ToString())}:{port}"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        await process.WaitUntilHealthyAsync(client);
        var exit = await process.TerminateAsync();

        Assert.True(exit.ExitCode == 0, exit.ToString());
        var listening = ListeningOn().Matches(exit.StandardOutput).Select(m => new Uri(m.Groups["url"].Value)).ToList();
        Assert.True(listening.Count > 0, exit.ToString());
        Assert.All(listening, url =>
        {
            Assert.Equal(port, url.Port);
            var bound = IPAddress.Parse(url.Host.Trim('[', ']'));
            Assert.False(bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any), $"{host} must not listen on every interface: {url}");
            // Kestrel's log leaves out a link-local address's scope (%eth0).
            Assert.Contains(bound, addresses.Select(a => new IPAddress(a.GetAddressBytes())));
        });
    }

    // --- one line instead of a stack trace ---

    [BackendFact]
    public async Task A_port_in_use_is_one_line_naming_the_port_and_exit_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await RunAsync("--api-address", "127.0.0.1", "--api-port", Port(port), "--db", "sqlite:port.db");

        var line = AssertOneErrorLine(result, 1);
        Assert.Contains("--api-port", line, StringComparison.Ordinal);
        Assert.Contains(Port(port), line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
    }

    /// <summary>How a test makes the SQLite database's folder unusable (the tests may run as root, for whom permissions are no obstacle: /proc is).</summary>
    public enum UnusableFolder { IsAFile, IsUnderAFile, CannotBeCreated, IsNotWritable }

    private string UnusableDatabase(UnusableFolder folder)
    {
        File.WriteAllText(Path.Combine(WorkingDirectory, "afile"), "not a folder");
        return folder switch
        {
            UnusableFolder.IsAFile => Path.Combine(WorkingDirectory, "afile", "analyzer.db"),
            UnusableFolder.IsUnderAFile => Path.Combine(WorkingDirectory, "afile", "data", "analyzer.db"),
            UnusableFolder.CannotBeCreated => "/proc/analyzer-no-such-folder/data/analyzer.db",
            _ => "/proc/self/analyzer.db",
        };
    }

    [BackendTheory]
    [InlineData(UnusableFolder.IsAFile, "serve")]
    [InlineData(UnusableFolder.IsUnderAFile, "serve")]
    [InlineData(UnusableFolder.CannotBeCreated, "serve")]
    [InlineData(UnusableFolder.IsNotWritable, "serve")]
    [InlineData(UnusableFolder.IsNotWritable, "serve --no-migrate")]
    [InlineData(UnusableFolder.IsAFile, "db upgrade")]
    [InlineData(UnusableFolder.IsNotWritable, "db current")]
    public async Task An_unusable_sqlite_folder_is_one_line_naming_the_path_and_exit_1(UnusableFolder folder, string command)
    {
        var database = UnusableDatabase(folder);
        string[] arguments = [.. command.Split(' '), "--db", "sqlite://" + database];
        if (command.StartsWith("serve", StringComparison.Ordinal))
        {
            arguments = [.. arguments, "--api-address", "127.0.0.1", "--api-port", Port(AnalyzerProcess.FreePort())];
        }

        var result = await RunAsync(arguments);

        var line = AssertOneErrorLine(result, 1);
        Assert.Contains(folder is UnusableFolder.IsAFile or UnusableFolder.IsUnderAFile ? Path.Combine(WorkingDirectory, "afile") : Path.GetDirectoryName(database)!,
            line, StringComparison.Ordinal);
        Assert.Contains("--db", line, StringComparison.Ordinal);
    }

    [BackendTheory]
    [InlineData("--log-level", "Verbose")]
    [InlineData("--api-port", "70000")]
    [InlineData("--max-request-body-bytes", "-1")]
    [InlineData("--max-upload-bytes", "-5")]
    [InlineData("--log-format", "xml")]
    [InlineData("--db-wait", "-1")]
    public async Task A_setting_against_its_declaration_exits_2_naming_the_option(string option, string value)
    {
        string[] arguments = ["--api-address", "127.0.0.1", "--db", "sqlite:never.db", option, value];
        if (option != "--api-port")
        {
            arguments = [.. arguments, "--api-port", Port(AnalyzerProcess.FreePort())];
        }

        var result = await RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("analyzer:", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains(option, result.ErrorLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(WorkingDirectory, "never.db")), "nothing may start with a bad setting");
    }

    // --- --no-migrate on a schema that is behind ---

    [BackendTheory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task No_migrate_on_a_schema_that_is_behind_refuses_to_serve_naming_db_upgrade(int version)
    {
        const string db = "sqlite:behind.db";
        if (version > 0)
        {
            var upgrade = await RunAsync("db", "upgrade", version.ToString(CultureInfo.InvariantCulture), "--db", db);
            Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        }

        var result = await RunAsync("--no-migrate", "--db", db, "--api-address", "127.0.0.1", "--api-port", Port(AnalyzerProcess.FreePort()));

        var line = AssertOneErrorLine(result, 1);
        Assert.Contains("analyzer db upgrade", line, StringComparison.Ordinal);
        Assert.Contains("--no-migrate", line, StringComparison.Ordinal);
        Assert.Equal(version, await CurrentVersionAsync(db));
    }

    [BackendFact]
    public async Task No_migrate_on_an_up_to_date_schema_serves()
    {
        const string db = "sqlite:current.db";
        var upgrade = await RunAsync("db", "upgrade", "--db", db);
        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());

        await using var server = await AnalyzerServer.StartAsync(WorkingDirectory, null, "--no-migrate", "--db", db);
        using (var health = await server.Client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        var exit = await server.TerminateAsync();
        Assert.True(exit.ExitCode == 0, exit.ToString());
    }

    // --- an unreachable database ---

    [BackendTheory]
    [InlineData("db current")]
    [InlineData("db upgrade")]
    [InlineData("serve --db-wait 0")]
    public async Task An_unknown_database_host_is_one_line_naming_the_host(string command)
    {
        const string host = "analyzer-no-such-host.invalid";
        string[] arguments = [.. command.Split(' '), "--db", $"postgresql://analyzer:s3cret@{host}:5432/analyzer"];
        if (command.StartsWith("serve", StringComparison.Ordinal))
        {
            arguments = [.. arguments, "--api-address", "127.0.0.1", "--api-port", Port(AnalyzerProcess.FreePort())];
        }

        var result = await RunAsync(arguments);

        var line = AssertOneErrorLine(result, 1);
        Assert.Contains(host, line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"attempt (?<n>\d+)")]
    private static partial Regex Attempt();

    [BackendTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_database_that_stays_down_is_retried_for_db_wait_each_attempt_logged_then_one_line(bool asOption)
    {
        // Nothing listens on a free port: PostgreSQL "down" without needing a PostgreSQL.
        var databasePort = AnalyzerProcess.FreePort();
        var environment = asOption ? null : new Dictionary<string, string> { ["ANALYZER_DB_WAIT"] = "2" };
        string[] arguments = ["--db", $"postgresql://analyzer:s3cret@127.0.0.1:{databasePort}/analyzer",
            "--api-address", "127.0.0.1", "--api-port", Port(AnalyzerProcess.FreePort()), "--log-format", "text"];
        if (asOption)
        {
            arguments = [.. arguments, "--db-wait", "2"];
        }

        var result = await RunAsync(environment, arguments);

        var line = AssertOneErrorLine(result, 1);
        Assert.Contains($"127.0.0.1:{databasePort}", line, StringComparison.Ordinal);
        Assert.Contains(asOption ? "--db-wait" : "ANALYZER_DB_WAIT", line, StringComparison.Ordinal);
        var attempts = result.StandardOutput.Split('\n')
            .Where(l => l.Contains($"127.0.0.1:{databasePort}", StringComparison.Ordinal))
            .Select(l => Attempt().Match(l))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(attempts.Count >= 2, $"every attempt is logged; at least two within --db-wait 2:\n{result}");
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts);
        Assert.DoesNotContain("s3cret", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
    }

    // --- downgrade below the datasets migration ---

    [BackendFact]
    public async Task Downgrading_below_the_datasets_migration_with_datasets_needs_force()
    {
        const string db = "sqlite:datasets.db";
        var datasets = Migrations.Single(m => m.Name == "datasets").Version;
        await using (var server = await AnalyzerServer.StartAsync(WorkingDirectory, null, "--db", db))
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("code,price\nA1,1.5\nB2,2\n")), "file", "prices.csv");
            using var upload = await server.Client.PostAsync(new Uri("/datasets", UriKind.Relative), form);
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
            var exit = await server.TerminateAsync();
            Assert.True(exit.ExitCode == 0, exit.ToString());
        }
        var head = Migrations[^1].Version;
        var target = (datasets - 1).ToString(CultureInfo.InvariantCulture);

        var refused = await RunAsync("db", "downgrade", target, "--db", db);

        var line = AssertOneErrorLine(refused, 1);
        Assert.Contains("--force", line, StringComparison.Ordinal);
        Assert.Contains("1 uploaded dataset", line, StringComparison.Ordinal);
        Assert.Equal(head, await CurrentVersionAsync(db));

        // Down to the datasets migration itself keeps them: no --force needed.
        var kept = await RunAsync("db", "downgrade", datasets.ToString(CultureInfo.InvariantCulture), "--db", db);
        Assert.True(kept.ExitCode == 0 && kept.StandardError.Length == 0, kept.ToString());

        var forced = await RunAsync("db", "downgrade", target, "--force", "--db", db);
        Assert.True(forced.ExitCode == 0 && forced.StandardError.Length == 0, forced.ToString());
        Assert.Equal($"current: {datasets - 1:D4}", forced.OutputLines[^1]);
        Assert.Equal(datasets - 1, await CurrentVersionAsync(db));
    }
}
