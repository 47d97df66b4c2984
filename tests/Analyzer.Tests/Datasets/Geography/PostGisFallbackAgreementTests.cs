using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Analyzer.Datasets;
using Analyzer.Datasets.Geography;
using Analyzer.Storage;
using Analyzer.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;

namespace Analyzer.Tests.Datasets.Geography;

/// <summary>
/// On one PostGIS table, the PostGIS path (ST_DWithin, ST_DistanceSphere) and the fallback (bounding box, haversine in
/// SQL) give the same rows, and distances within 1 m, for random searches over random points — the two SQL paths
/// compared directly, in one transaction, beside each one's comparison with the C# reference (<see cref="GeographyApiTests{TApp}"/>).
/// </summary>
public sealed class PostGisFallbackAgreementTests(PostgresApp app) : IClassFixture<PostgresApp>, IPostGisTests
{
    private static readonly Gen<(double Lat, double Lon, double Km)> Searches =
        from lat in Gen.Choose(-90_000_000, 90_000_000).Select(v => v / 1e6)
        from lon in Gen.Choose(-180_000_000, 180_000_000).Select(v => v / 1e6)
        from km in Gen.Frequency((3, Gen.Choose(0, 3_000_000).Select(v => v / 1e3)), (1, Gen.Choose(0, 21_000).Select(v => (double)v)))
        select (lat, lon, km);

    [BackendFact]
    public async Task PostGIS_and_the_fallback_find_the_same_rows_at_the_same_distances()
    {
        var random = new Random(424242);
        var csv = new StringBuilder("n,lat,lon\n");
        for (var i = 0; i < 500; i++)
        {
            var lat = i % 3 == 0 ? Math.Sign(random.NextDouble() - 0.5) * (75 + random.NextDouble() * 15) : random.NextDouble() * 180 - 90;
            var lon = i % 5 == 0 ? Math.Sign(random.NextDouble() - 0.5) * (175 + random.NextDouble() * 5) : random.NextDouble() * 360 - 180;
            csv.Append(CultureInfo.InvariantCulture, $"{i},{lat:R},{lon:R}\n");
        }
        using var client = app.CreateClient();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(csv.ToString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using (var uploaded = await client.PostAsync("/datasets?name=agreement", content))
        {
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }

        await using var database = StorageServices.Open(app.DatabaseUrl);
        var catalog = new DatasetCatalog(database);
        await using var session = await database.BeginReadAsync(null, CancellationToken.None);
        var dataset = await catalog.GetAsync(session, "agreement", CancellationToken.None);
        Assert.True(dataset?.Geo?.Point, "the table has no PostGIS column: is PostGIS installed?");
        var postGis = new RowsTransaction(session, dataset, database.Dialect, catalog, TimeProvider.System, postGis: true);
        var fallback = new RowsTransaction(session, dataset, database.Dialect, catalog, TimeProvider.System, postGis: false);

        async Task<(long Id, double Meters)[]> Search(RowsTransaction rows, Near near) =>
            [.. (await rows.ReadPageAsync(new RowQuery([], null, false, null, 0, 10_000, false, near), CancellationToken.None)).Rows
                .Select(r => (r.Id, r.DistanceMeters!.Value))];

        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), Prop.ForAll(Arb.From(Searches), search =>
        {
            var near = new Near(search.Lat, search.Lon, search.Km * 1000);
            var withPostGis = Search(postGis, near).GetAwaiter().GetResult();
            var withFallback = Search(fallback, near).GetAwaiter().GetResult().ToDictionary(r => r.Id, r => r.Meters);
            var what = $"near {search.Lat},{search.Lon} within {search.Km} km";
            foreach (var (id, meters) in withPostGis)
            {
                if (withFallback.Remove(id, out var other))
                {
                    Assert.True(Math.Abs(meters - other) <= 1, $"{what}: row {id} is {meters} m by PostGIS, {other} m by the fallback");
                }
                else
                {
                    Assert.True(Math.Abs(meters - near.Meters) <= 1, $"{what}: only PostGIS finds row {id} ({meters} m)");
                }
            }
            foreach (var (id, meters) in withFallback)
            {
                Assert.True(Math.Abs(meters - near.Meters) <= 1, $"{what}: only the fallback finds row {id} ({meters} m)");
            }
        })));
    }
}
