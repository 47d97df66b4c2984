using System.Globalization;
using System.Xml.Linq;
using Analyzer.Cli;
using Analyzer.Storage;
using Analyzer.Web;

namespace Analyzer.Tests.Deploy;

/// <summary>deploy/Dockerfile and .dockerignore, read (no container engine runs here): what the image is and runs.</summary>
public sealed class DockerfileTests
{
    private static readonly IReadOnlyList<DockerInstruction> Instructions = Dockerfile.Parse(DeployFiles.Read("deploy/Dockerfile"));

    private static readonly IReadOnlyList<DockerStage> Stages = Dockerfile.Stages(Instructions);

    private static DockerStage Runtime => Stages[^1];

    [Fact]
    public void The_reader_refuses_what_docker_refuses()
    {
        Assert.Contains("unknown instruction 'COPYY'", Assert.Throws<FormatException>(() => Dockerfile.Parse("FROM a\nCOPYY x y\n")).Message, StringComparison.Ordinal);
        Assert.Contains("line 2", Assert.Throws<FormatException>(() => Dockerfile.Parse("FROM a\nRUN echo \\\n")).Message, StringComparison.Ordinal);
        Assert.Contains("exec form", Assert.Throws<FormatException>(() => Dockerfile.Parse("FROM a\nCMD [\"serve\"\n")).Message, StringComparison.Ordinal);
        Assert.Contains("before the first FROM", Assert.Throws<FormatException>(() => Dockerfile.Stages(Dockerfile.Parse("RUN x\nFROM a\n"))).Message, StringComparison.Ordinal);
        var continued = Dockerfile.Parse("# syntax=docker/dockerfile:1\nFROM a AS b\nRUN one \\\n    # a comment inside\n    two\n");
        Assert.Equal(["FROM", "RUN"], continued.Select(i => i.Keyword));
        Assert.Equal("one two", continued[1].Arguments.Replace("  ", " ", StringComparison.Ordinal).Trim());
    }

    [Fact]
    public void It_is_a_multi_stage_build_whose_copies_name_earlier_stages()
    {
        Assert.True(Stages.Count >= 2, "a build stage and a runtime stage");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", Stages[0].Image, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/", Runtime.Image, StringComparison.Ordinal);
        Assert.DoesNotContain("/sdk:", Runtime.Image, StringComparison.Ordinal);
        for (var i = 0; i < Stages.Count; i++)
        {
            foreach (var copy in Stages[i].All("COPY"))
            {
                if (copy.Split().Flags.TryGetValue("from", out var from))
                {
                    Assert.Contains(from, Stages.Take(i).Select(s => s.Name));
                }
            }
        }
    }

    [Fact]
    public void The_dotnet_version_of_the_images_is_the_target_framework()
    {
        var framework = XDocument.Load(DeployFiles.PathOf("Directory.Build.props")).Descendants("TargetFramework").Single().Value; // net10.0
        var version = Instructions.Where(i => i.Keyword == "ARG").SelectMany(i => Dockerfile.KeyValues(i.Arguments)).Single(p => p.Key == "DOTNET_VERSION").Value;

        Assert.Equal(framework["net".Length..], version);
        Assert.All(Stages, stage => Assert.Contains(":${DOTNET_VERSION}-", stage.Image, StringComparison.Ordinal));
    }

    [Fact]
    public void What_it_copies_from_the_context_exists_and_is_not_ignored()
    {
        var ignore = new DockerIgnore(DeployFiles.Read(".dockerignore"));
        var sources = Stages.SelectMany(s => s.All("COPY").Concat(s.All("ADD")))
            .Where(copy => !copy.Split().Flags.ContainsKey("from"))
            .SelectMany(copy => copy.Split().Words.SkipLast(1))
            .ToList();

        Assert.NotEmpty(sources);
        Assert.All(sources, source =>
        {
            Assert.True(File.Exists(DeployFiles.PathOf(source)) || Directory.Exists(DeployFiles.PathOf(source)), $"{source} is not in the repository");
            Assert.False(ignore.Excludes(source), $"{source} is excluded by .dockerignore");
        });
        // The publish profile the build stage names exists.
        Assert.Contains(Stages[0].All("RUN"), run => run.Arguments.Contains("-p:PublishProfile=single-file", StringComparison.Ordinal));
        Assert.True(File.Exists(DeployFiles.PathOf("src/Analyzer/Properties/PublishProfiles/single-file.pubxml")));
    }

    [Theory]
    [InlineData("tests/Analyzer.Tests/Analyzer.Tests.csproj", true)]
    [InlineData("bench/Analyzer.Bench/Program.cs", true)]
    [InlineData("src/Analyzer/bin/Release/net10.0/analyzer.dll", true)]
    [InlineData("src/Analyzer/obj/project.assets.json", true)]
    [InlineData(".git/HEAD", true)]
    [InlineData("deploy/secrets/auth_secret", true)]
    [InlineData("analyzer.secret", true)]
    [InlineData("data/analyzer.db", true)]
    [InlineData("src/Analyzer/Program.cs", false)]
    [InlineData("src/Analyzer/Storage/Migrations/sqlite/0001_initial.up.sql", false)]
    [InlineData("Directory.Packages.props", false)]
    public void The_build_context_leaves_out_tests_benchmarks_build_output_and_secrets(string path, bool excluded)
    {
        Assert.Equal(excluded, new DockerIgnore(DeployFiles.Read(".dockerignore")).Excludes(path));
    }

    [Fact]
    public void The_image_runs_as_a_user_other_than_root()
    {
        var user = Runtime.All("USER").Last().Arguments.Split(':')[0];

        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.True(int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid > 0, $"USER {user}: a numeric uid (runAsNonRoot can check only that)");
    }

    [Fact]
    public void It_exposes_the_port_the_service_listens_on()
    {
        var port = Runtime.Environment["ANALYZER_API_PORT"];
        var grpcPort = Runtime.Environment["ANALYZER_GRPC_PORT"];

        Assert.Equal(Setting.Format(new WebOptions().ApiPort), port);
        Assert.Equal(Setting.Format(new WebOptions().GrpcPort), grpcPort);
        Assert.Equal([port, grpcPort], Runtime.All("EXPOSE").SelectMany(e => e.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => p.Split('/')[0]));
    }

    [Fact]
    public void Its_ANALYZER_variables_are_settings_with_values_the_service_accepts()
    {
        var environment = Stages.SelectMany(s => s.Environment).Where(p => p.Key.StartsWith(Settings.VariablePrefix, StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(environment);
        Assert.All(environment, v => Assert.Contains(Settings.All, s => s.Variable == v.Key));
        Assert.Null(DeployFiles.RefusedSettings(environment));
    }

    [Fact]
    public void Its_SQLite_database_is_in_the_volume_at_data_owned_by_the_service_user()
    {
        Assert.True(DatabaseUrl.TryParse(Runtime.Environment["ANALYZER_DB"], out var url, out var error), error);
        Assert.Equal(DatabaseKind.Sqlite, url.Kind);
        Assert.Equal("/data", Path.GetDirectoryName(url.FilePath));
        Assert.Contains("/data", Runtime.All("VOLUME").SelectMany(v => Dockerfile.ExecForm(v.Arguments)));
        var user = Runtime.All("USER").Last().Arguments.Split(':')[0];
        Assert.Contains(Runtime.All("COPY"), copy => copy.Split().Words[^1] == "/data" && copy.Split().Flags.GetValueOrDefault("chown", "").Split(':')[0] == user);
    }

    [Fact]
    public void The_health_check_runs_the_executables_own_probe_of_health_live()
    {
        var entrypoint = Dockerfile.ExecForm(Runtime.All("ENTRYPOINT").Single().Arguments);
        var check = Dockerfile.ExecForm(Dockerfile.HealthCheckCommand(Runtime.All("HEALTHCHECK").Single().Arguments));

        Assert.Equal([entrypoint[0], "health"], check);
        Assert.Contains(AnalyzerCli.Create().Subcommands, c => c.Name == "health");
        Assert.Contains(Runtime.All("COPY"), copy => entrypoint[0].StartsWith(copy.Split().Words[^1], StringComparison.Ordinal));
        Assert.Equal(["serve"], Dockerfile.ExecForm(Runtime.All("CMD").Single().Arguments));
    }

    [Fact]
    public void It_carries_the_OCI_labels()
    {
        var labels = Runtime.All("LABEL").SelectMany(l => Dockerfile.KeyValues(l.Arguments)).ToDictionary(p => p.Key, p => p.Value);

        Assert.All(["title", "description", "version", "revision"], name =>
            Assert.False(string.IsNullOrWhiteSpace(labels.GetValueOrDefault("org.opencontainers.image." + name)), $"label org.opencontainers.image.{name}"));
        Assert.Equal("${SOURCE_REVISION}", labels["org.opencontainers.image.revision"]);
    }
}
