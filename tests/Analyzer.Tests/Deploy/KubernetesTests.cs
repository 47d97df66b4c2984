using System.Globalization;
using System.Net;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using Analyzer.Web;
using static Analyzer.Tests.Deploy.DeployFiles;

namespace Analyzer.Tests.Deploy;

/// <summary>deploy/k8s (kustomize base and overlay), read, and built by <c>kubectl kustomize</c> where kubectl is installed; no cluster runs here.</summary>
public sealed class KubernetesTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static readonly IReadOnlyList<string> BaseFiles = [.. YamlFiles.Where(f => f.StartsWith("deploy/k8s/base/", StringComparison.Ordinal))];

    /// <summary>The objects of the base (not its kustomization), by kind.</summary>
    private static readonly IReadOnlyDictionary<string, Dictionary<string, object?>> Objects =
        BaseFiles.Where(f => !f.EndsWith("/kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(YamlDocuments)
            .Select(o => Map(o))
            .ToDictionary(o => Text(o, "kind"));

    private static Dictionary<string, object?> Deployment => Objects["Deployment"];

    private static Dictionary<string, object?> PodSpec => Map(Deployment, "spec.template.spec");

    private static Dictionary<string, object?> Container => Map(Assert.Single(List(PodSpec, "containers")));

    private static object? ContainerPort(string name) => Assert.Single(List(Container, "ports"), p => Text(p, "name") == name);

    private static Dictionary<string, string> ConfigMapData => Map(Objects["ConfigMap"], "data").ToDictionary(p => p.Key, p => Assert.IsType<string>(p.Value));

    private static int Int(object? node, string path) => int.Parse(Text(node, path), CultureInfo.InvariantCulture);

    [Fact]
    public void Every_manifest_parses_and_names_its_kind()
    {
        Assert.All(YamlFiles.Where(f => f.StartsWith("deploy/k8s/", StringComparison.Ordinal)), file =>
        {
            foreach (var document in YamlDocuments(file))
            {
                Assert.False(string.IsNullOrEmpty(Text(document, "apiVersion")), file);
                Assert.False(string.IsNullOrEmpty(Text(document, "kind")), file);
                if (Text(document, "kind") != "Kustomization")
                {
                    Assert.False(string.IsNullOrEmpty(Text(document, "metadata.name")), file);
                }
            }
        });
        Assert.Equal(
            ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service"],
            Objects.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_kustomizations_list_files_that_exist()
    {
        foreach (var kustomization in YamlFiles.Where(f => f.StartsWith("deploy/k8s/", StringComparison.Ordinal) && f.EndsWith("/kustomization.yaml", StringComparison.Ordinal)))
        {
            var folder = Path.GetDirectoryName(PathOf(kustomization))!;
            var document = Assert.Single(YamlDocuments(kustomization));
            var resources = List(document, "resources").Cast<string>();
            var patches = Has(document, "patches") ? List(document, "patches").Where(p => Has(p, "path")).Select(p => Text(p, "path")) : [];
            Assert.All(resources.Concat(patches), path =>
                Assert.True(File.Exists(Path.Combine(folder, path)) || File.Exists(Path.Combine(folder, path, "kustomization.yaml")), $"{kustomization}: {path} missing"));
        }
        Assert.Equal(BaseFiles.Count - 1, List(Assert.Single(YamlDocuments("deploy/k8s/base/kustomization.yaml")), "resources").Count);
    }

    [Fact]
    public async Task The_probes_ask_routes_that_answer_200_on_the_port_the_service_listens_on()
    {
        var port = ContainerPort("http");
        Assert.Equal(ConfigMapData["ANALYZER_API_PORT"], Text(port, "containerPort"));
        Assert.Equal(ConfigMapData["ANALYZER_GRPC_PORT"], Text(ContainerPort("grpc"), "containerPort"));
        Assert.Equal("/health/live", Text(Container, "livenessProbe.httpGet.path"));
        Assert.Equal("/health/ready", Text(Container, "readinessProbe.httpGet.path"));
        Assert.Equal("/health/live", Text(Container, "startupProbe.httpGet.path"));
        using var client = app.CreateClient();
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            Assert.Equal(Text(port, "name"), Text(Container, probe + ".httpGet.port"));
            using var response = await client.GetAsync(new Uri(Text(Container, probe + ".httpGet.path"), UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // The startup probe gives migrations and --db-wait time: the others start only after it passed.
        Assert.True(Int(Container, "startupProbe.periodSeconds") * Int(Container, "startupProbe.failureThreshold") > int.Parse(ConfigMapData["ANALYZER_DB_WAIT"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_service_and_the_network_policy_reach_the_container_port()
    {
        var ports = List(Container, "ports").ToList();
        Assert.Equal(["grpc", "http"], ports.Select(p => Text(p, "name")).Order(StringComparer.Ordinal));
        Assert.Equal(ports.Select(p => Text(p, "name")).Order(StringComparer.Ordinal),
            List(Objects["Service"], "spec.ports").Select(s => Text(s, "targetPort")).Order(StringComparer.Ordinal));

        var labels = Map(Deployment, "spec.template.metadata.labels");
        foreach (var selector in new[] { Map(Objects["Service"], "spec.selector"), Map(Deployment, "spec.selector.matchLabels"),
                     Map(Objects["PodDisruptionBudget"], "spec.selector.matchLabels"), Map(Objects["NetworkPolicy"], "spec.podSelector.matchLabels") })
        {
            Assert.All(selector, pair => Assert.Equal(labels[pair.Key], pair.Value));
        }
        var ingress = Assert.Single(List(Objects["NetworkPolicy"], "spec.ingress"));
        Assert.Equal(ports.Select(p => Text(p, "containerPort")).Order(StringComparer.Ordinal),
            List(ingress, "ports").Select(p => Text(p, "port")).Order(StringComparer.Ordinal));
        Assert.Equal(["Egress", "Ingress"], List(Objects["NetworkPolicy"], "spec.policyTypes").Cast<string>().Order(StringComparer.Ordinal));
        Assert.Equal(Text(Deployment, "metadata.name"), Text(Objects["HorizontalPodAutoscaler"], "spec.scaleTargetRef.name"));
        Assert.True(Int(Objects["HorizontalPodAutoscaler"], "spec.minReplicas") >= 2);
        Assert.Equal("1", Text(Objects["PodDisruptionBudget"], "spec.minAvailable"));
    }

    [Fact]
    public void The_pod_runs_non_root_on_a_read_only_root_with_a_writable_tmp_and_resources()
    {
        Assert.Equal("true", Text(PodSpec, "securityContext.runAsNonRoot"));
        Assert.True(Int(PodSpec, "securityContext.runAsUser") > 0);
        Assert.Equal("true", Text(Container, "securityContext.readOnlyRootFilesystem"));
        Assert.Equal("false", Text(Container, "securityContext.allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], List(Container, "securityContext.capabilities.drop"));
        var tmp = Assert.Single(List(Container, "volumeMounts"), m => Text(m, "mountPath") == "/tmp");
        Assert.True(Has(Assert.Single(List(PodSpec, "volumes"), v => Text(v, "name") == Text(tmp, "name")), "emptyDir"));
        Assert.All(["requests.cpu", "requests.memory", "limits.memory"], path => Assert.False(string.IsNullOrEmpty(Text(Container, "resources." + path))));
    }

    [Fact]
    public void Termination_waits_longer_than_the_pause_and_the_shutdown_timeout()
    {
        var shutdown = int.Parse(ConfigMapData.GetValueOrDefault("ANALYZER_SHUTDOWN_TIMEOUT", Setting.Format(new WebOptions().ShutdownTimeoutSeconds)!), CultureInfo.InvariantCulture);
        var pause = Has(Container, "lifecycle.preStop.sleep.seconds") ? Int(Container, "lifecycle.preStop.sleep.seconds") : 0;

        Assert.True(Int(PodSpec, "terminationGracePeriodSeconds") > pause + shutdown);
    }

    [Fact]
    public void Its_settings_come_from_the_config_map_and_the_secret_and_are_accepted()
    {
        Assert.Equal(Text(Objects["ConfigMap"], "metadata.name"), Text(Assert.Single(List(Container, "envFrom")), "configMapRef.name"));
        var secret = Map(Objects["Secret"], "stringData").ToDictionary(p => p.Key, p => Assert.IsType<string>(p.Value));
        var fromSecret = List(Container, "env").ToDictionary(e => Text(e, "name"), e =>
        {
            Assert.Equal(Text(Objects["Secret"], "metadata.name"), Text(e, "valueFrom.secretKeyRef.name"));
            return secret[Text(e, "valueFrom.secretKeyRef.key")];
        });
        var overlay = Assert.Single(YamlDocuments("deploy/k8s/overlays/production/config.yaml"));
        var settings = ConfigMapData.Concat(fromSecret).Concat(Map(overlay, "data").Select(p => KeyValuePair.Create(p.Key, Assert.IsType<string>(p.Value)))).ToList();

        Assert.Null(RefusedSettings(settings));
        Assert.True(DatabaseUrl.TryParse(fromSecret["ANALYZER_DB"], out var url, out _) && url.Kind == DatabaseKind.Postgres);
        // The token key is a file of the secret volume.
        var keyFile = ConfigMapData["ANALYZER_AUTH_SECRET_FILE"];
        var mount = Assert.Single(List(Container, "volumeMounts"), m => keyFile.StartsWith(Text(m, "mountPath") + "/", StringComparison.Ordinal));
        var volume = Assert.Single(List(PodSpec, "volumes"), v => Text(v, "name") == Text(mount, "name"));
        Assert.Equal(Text(Objects["Secret"], "metadata.name"), Text(volume, "secret.secretName"));
        Assert.Contains(List(volume, "secret.items"), item => Text(item, "path") == Path.GetFileName(keyFile) && secret.ContainsKey(Text(item, "key")));
    }

    [ToolFact("kubectl", Optional = true)]
    public async Task Kubectl_kustomize_builds_the_overlay_with_its_namespace_and_image()
    {
        var build = await RunAsync(ToolFactAttribute.Require("kubectl"), ["kustomize", "deploy/k8s/overlays/production"]);

        Assert.True(build.ExitCode == 0, build.Error);
        var objects = ParseYaml(build.Output).Select(o => Map(o)).ToList();
        Assert.Equal(Objects.Count + 1, objects.Count); // and the Namespace
        Assert.All(objects.Where(o => Text(o, "kind") != "Namespace"), o => Assert.Equal("analyzer", Text(o, "metadata.namespace")));
        var deployment = Assert.Single(objects, o => Text(o, "kind") == "Deployment");
        Assert.StartsWith("registry.example.com/analyzer:", Text(Assert.Single(List(deployment, "spec.template.spec.containers")), "image"), StringComparison.Ordinal);
        Assert.Equal("https://analyzer.example.com", Text(Assert.Single(objects, o => Text(o, "kind") == "ConfigMap"), "data.ANALYZER_PUBLIC_URL"));
    }
}
