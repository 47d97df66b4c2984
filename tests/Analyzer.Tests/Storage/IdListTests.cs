using Analyzer.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Storage;

/// <summary>SQLite's id lists (a citizen's relatives and friends): JSON arrays as text, written by the service or by SQLite's JSON functions.</summary>
public sealed class IdListTests
{
    [Theory]
    [InlineData("[]", new int[0])]
    [InlineData("[7]", new[] { 7 })]
    [InlineData("[1,2,3]", new[] { 1, 2, 3 })]
    [InlineData("[1, 2147483647 ,0]", new[] { 1, 2147483647, 0 })]
    public void Parses_what_the_service_and_SQLite_write(string text, int[] expected) =>
        Assert.Equal(expected, SqlDialect.ParseIdList(text));

    [Fact]
    public void Format_and_parse_round_trip() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(
            Arb.From(Gen.ArrayOf(Gen.Choose(0, int.MaxValue))), ids =>
            {
                Assert.Equal(ids, SqlDialect.ParseIdList(SqlDialect.FormatIdList(ids)));
                return true;
            }));
}
