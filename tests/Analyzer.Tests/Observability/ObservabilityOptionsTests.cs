using Analyzer.Observability;
using Analyzer.Web;

namespace Analyzer.Tests.Observability;

public sealed class ObservabilityOptionsTests
{
    private static readonly Setting OtlpEndpoint = Settings.Of<ObservabilityOptions>(nameof(ObservabilityOptions.OtlpEndpoint));

    [Theory]
    [InlineData("http://collector:4318", "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4318/", "http://collector:4318/v1/traces")]
    [InlineData("https://otel.example/base", "https://otel.example/base/v1/traces")]
    public void Spans_go_to_v1_traces_under_the_endpoint(string endpoint, string expected) =>
        Assert.Equal(new Uri(expected), ObservabilityOptions.TracesUrl(endpoint));

    [Theory]
    [InlineData("collector:4318")]
    [InlineData("grpc://collector:4317")]
    [InlineData("http://collector:4318?x=1")]
    public void An_endpoint_that_is_not_an_http_url_is_refused_naming_the_option(string endpoint)
    {
        var error = OtlpEndpoint.Validate(new ObservabilityOptions { OtlpEndpoint = endpoint }, OtlpEndpoint.Flag);

        Assert.NotNull(error);
        Assert.StartsWith("--otlp-endpoint: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_endpoint_is_the_default_and_valid()
    {
        Assert.Equal("", OtlpEndpoint.Default);
        Assert.Null(OtlpEndpoint.Validate(new ObservabilityOptions(), OtlpEndpoint.Flag));
    }
}
