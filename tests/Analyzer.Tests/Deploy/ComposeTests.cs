using System.Globalization;
using Analyzer.Storage;
using Analyzer.Web;
using static Analyzer.Tests.Deploy.DeployFiles;

namespace Analyzer.Tests.Deploy;

/// <summary>deploy/compose.yaml, compose.dev.yaml and make-secrets.sh, read (no container engine runs here).</summary>
public sealed class ComposeTests : IDisposable
{
    private static readonly object? Compose = Assert.Single(YamlDocuments("deploy/compose.yaml"));

    private static Dictionary<string, object?> Service(string name) => Map(Compose, "services." + name);

    private static Dictionary<string, string> Environment(string service) =>
        Map(Service(service), "environment").ToDictionary(p => p.Key, p => Assert.IsType<string>(p.Value));

    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-compose-");

    public void Dispose() => directory.Delete(recursive: true);

    [Fact]
    public void It_runs_postgis_kafka_two_replicas_of_the_service_and_nginx()
    {
        Assert.Equal(["analyzer", "kafka", "nginx", "postgres"], Map(Compose, "services").Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith("postgis/postgis:15-3.", Text(Service("postgres"), "image"), StringComparison.Ordinal);
        Assert.StartsWith("apache/kafka:", Text(Service("kafka"), "image"), StringComparison.Ordinal);
        Assert.StartsWith("nginx:", Text(Service("nginx"), "image"), StringComparison.Ordinal);
        Assert.Equal("2", Text(Service("analyzer"), "deploy.replicas"));
        Assert.Equal("deploy/Dockerfile", Text(Service("analyzer"), "build.dockerfile"));
        Assert.True(File.Exists(Path.Combine(PathOf("deploy"), Text(Service("analyzer"), "build.context"), Text(Service("analyzer"), "build.dockerfile"))));
    }

    [Fact]
    public void Kafka_runs_in_KRaft_mode_and_the_relay_variable_is_listed_as_not_yet_declared()
    {
        var kafka = Map(Service("kafka"), "environment");
        Assert.Contains("controller", Text(kafka, "KAFKA_PROCESS_ROLES"), StringComparison.Ordinal);
        Assert.False(kafka.ContainsKey("KAFKA_ZOOKEEPER_CONNECT"));

        var bootstrap = Environment("analyzer")["ANALYZER_KAFKA_BOOTSTRAP_SERVERS"];
        var listener = Text(kafka, "KAFKA_ADVERTISED_LISTENERS").Split(',').Select(l => l.Split("://")[1]);
        Assert.Contains(bootstrap, listener);
        Assert.True(NotYetDeclared.ContainsKey("ANALYZER_KAFKA_BOOTSTRAP_SERVERS")
            || Settings.All.Any(s => s.Variable == "ANALYZER_KAFKA_BOOTSTRAP_SERVERS"));
    }

    [Fact]
    public void The_service_settings_are_accepted_and_hold_no_secret()
    {
        var environment = Environment("analyzer");

        Assert.Null(RefusedSettings(environment));
        Assert.True(DatabaseUrl.TryParse(environment["ANALYZER_DB"], out var url, out var error), error);
        Assert.Equal(DatabaseKind.Postgres, url.Kind);
        Assert.DoesNotContain("Password=", url.ConnectionString, StringComparison.OrdinalIgnoreCase);
        // The password and the token key come from files that compose mounts as secrets of this service.
        var mounted = List(Service("analyzer"), "secrets").Select(s => "/run/secrets/" + s).ToList();
        Assert.Contains(url.ConnectionString.Split(';').Single(p => p.StartsWith("Passfile=", StringComparison.OrdinalIgnoreCase)).Split('=')[1], mounted);
        Assert.Contains(environment["ANALYZER_AUTH_SECRET_FILE"], mounted);
        Assert.Equal("postgres", environment["ANALYZER_DB"].Split("@")[1].Split('/')[0].Split(':')[0]);
    }

    [Fact]
    public void The_service_is_read_only_with_a_tmpfs_and_stops_after_its_shutdown_timeout()
    {
        var service = Service("analyzer");

        Assert.Equal("true", Text(service, "read_only"));
        Assert.Contains("/tmp", List(service, "tmpfs"));
        var grace = int.Parse(Text(service, "stop_grace_period").TrimEnd('s'), CultureInfo.InvariantCulture);
        Assert.True(grace > int.Parse(Environment("analyzer")["ANALYZER_SHUTDOWN_TIMEOUT"], CultureInfo.InvariantCulture));
        Assert.Equal([Environment("analyzer").GetValueOrDefault("ANALYZER_API_PORT", Setting.Format(new WebOptions().ApiPort)!),
            Environment("analyzer").GetValueOrDefault("ANALYZER_GRPC_PORT", Setting.Format(new WebOptions().GrpcPort)!)], List(service, "expose"));
        Assert.False(service.ContainsKey("ports"), "replicas cannot share a host port: nginx publishes one");
    }

    [Fact]
    public void Every_service_starts_after_the_health_of_what_it_needs()
    {
        var dockerfile = Dockerfile.Stages(Dockerfile.Parse(Read("deploy/Dockerfile")))[^1];
        foreach (var (name, service) in Map(Compose, "services"))
        {
            if (!Has(service, "depends_on"))
            {
                continue;
            }
            foreach (var (needed, condition) in Map(service, "depends_on"))
            {
                Assert.Equal("service_healthy", Text(condition, "condition"));
                var hasCheck = Has(Service(needed), "healthcheck") || (needed == "analyzer" && dockerfile.All("HEALTHCHECK").Any());
                Assert.True(hasCheck, $"{name} waits for the health of {needed}, which has no health check");
            }
        }
        Assert.Equal(["kafka", "postgres"], Map(Service("analyzer"), "depends_on").Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["analyzer"], Map(Service("nginx"), "depends_on").Keys);
    }

    [Fact]
    public void Nginx_mounts_the_repository_config_and_reaches_the_service_port()
    {
        var volumes = List(Service("nginx"), "volumes").Cast<string>().Select(v => v.Split(':')).ToList();
        Assert.All(volumes, v => Assert.True(File.Exists(Path.Combine(PathOf("deploy"), v[0])), $"{v[0]} missing"));
        Assert.Contains(volumes, v => v[0] == "./nginx/analyzer.conf");
        Assert.Contains(volumes, v => v[0] == "./nginx/compose-upstream.conf" && v[1] == "/etc/nginx/analyzer-upstream.conf");

        var upstream = Read("deploy/nginx/compose-upstream.conf");
        Assert.Contains("server analyzer:" + Setting.Format(new WebOptions().ApiPort) + " ", upstream, StringComparison.Ordinal);
        Assert.EndsWith("/health/live", Assert.IsType<string>(List(Service("nginx"), "healthcheck.test")[^1]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Make_secrets_writes_the_files_compose_mounts_and_keeps_them()
    {
        var folder = directory.FullName;
        var first = await RunAsync("sh", ["deploy/make-secrets.sh", folder]);
        Assert.True(first.ExitCode == 0, first.Error);
        var files = Map(Compose, "secrets").ToDictionary(p => p.Key, p => Text(p.Value, "file"));

        Assert.All(files.Values, file => Assert.True(File.Exists(Path.Combine(folder, Path.GetFileName(file))), $"{file} not made"));
        Assert.All(files.Values, file => Assert.StartsWith("./secrets/", file, StringComparison.Ordinal));
        var password = File.ReadAllText(Path.Combine(folder, "db_password")).Trim();
        Assert.Equal($"postgres:5432:analyzer:analyzer:{password}", File.ReadAllText(Path.Combine(folder, "db_pgpass")).Trim());
        Assert.True(File.ReadAllText(Path.Combine(folder, "auth_secret")).Length >= 32);
        var postgres = Map(Service("postgres"), "environment");
        Assert.Equal("/run/secrets/db_password", Text(postgres, "POSTGRES_PASSWORD_FILE"));

        var second = await RunAsync("sh", ["deploy/make-secrets.sh", folder]);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(password, File.ReadAllText(Path.Combine(folder, "db_password")).Trim());
    }

    [Fact]
    public void The_development_compose_runs_postgresql_alone()
    {
        var dev = Assert.Single(YamlDocuments("deploy/compose.dev.yaml"));

        var postgres = Assert.Single(Map(dev, "services"));
        Assert.Equal("postgres", postgres.Key);
        Assert.StartsWith("postgis/postgis:15-3.", Text(postgres.Value, "image"), StringComparison.Ordinal);
        Assert.Equal(["127.0.0.1:5432:5432"], List(postgres.Value, "ports"));
    }
}
