using Analyzer.Web;

namespace Analyzer.Tests.Deploy;

/// <summary>Every ANALYZER_* variable the deployment files and docs/deploy.md name is one the service declares.</summary>
public sealed class DeploySettingsTests
{
    /// <summary>Variables of the test run (ANALYZER_REQUIRE_PG, ANALYZER_TEST_PG_URL, ...), which docs/deploy.md may name: not the service's.</summary>
    private static readonly string[] TestRunVariables = ["ANALYZER_REQUIRE_", "ANALYZER_TEST_"];

    [Fact]
    public void Every_ANALYZER_variable_of_the_deployment_files_is_a_declared_setting()
    {
        var named = DeployFiles.All.Append("docs/deploy.md")
            .SelectMany(file => DeployFiles.Variable().Matches(DeployFiles.Read(file)).Select(m => (File: file, Variable: m.Value)))
            .Where(n => !TestRunVariables.Any(prefix => n.Variable.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();

        Assert.Contains(named, n => n.Variable == "ANALYZER_DB");
        Assert.All(named, n => Assert.True(
            Settings.All.Any(s => s.Variable == n.Variable) || DeployFiles.NotYetDeclared.ContainsKey(n.Variable),
            $"{n.File} names {n.Variable}, which no setting declares (and which is not listed in DeployFiles.NotYetDeclared)"));
    }

    [Fact]
    public void The_variables_not_yet_declared_are_not_settings_under_another_spelling()
    {
        Assert.All(DeployFiles.NotYetDeclared.Keys, variable =>
            Assert.DoesNotContain(Settings.All, s => s.Variable.Equals(variable, StringComparison.OrdinalIgnoreCase) && s.Variable != variable));
    }

    [Fact]
    public void Every_yaml_file_of_deploy_parses()
    {
        Assert.NotEmpty(DeployFiles.YamlFiles);
        Assert.All(DeployFiles.YamlFiles, file => Assert.NotEmpty(DeployFiles.YamlDocuments(file)));
        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => DeployFiles.ParseYaml("a: 'unterminated\nb: c"));
    }
}
