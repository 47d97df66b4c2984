using System.Buffers;
using System.Text;
using Analyzer.Auth;
using Analyzer.Imports;

namespace Analyzer.Tests.Auth;

/// <summary><see cref="AuthApi.ReadJti"/> alone: messages a person can act on, without the reader's internal positions.</summary>
public sealed class RevocationBodyTests
{
    [Theory]
    [InlineData("""{"jti": "a", "jti": "a"}""")]
    [InlineData("""{"jti": "a",}""")]
    [InlineData("""{"jti": "a"} {}""")]
    public void A_refused_body_is_explained_at_the_root_without_reader_positions(string json)
    {
        var errors = new ValidationErrors();
        Assert.Null(AuthApi.ReadJti(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), errors));
        var message = Assert.Single(errors.ToDictionary()["$"]);
        Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", message, StringComparison.Ordinal);
    }
}
