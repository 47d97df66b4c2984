using Analyzer.Grpc.V1;
using Analyzer.Tests.Infrastructure;
using Analyzer.Tests.Storage;
using Grpc.Core;
using static Analyzer.Tests.Infrastructure.Citizens;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Analyzer.Tests.Grpc;

/// <summary>The service with a small body limit.</summary>
public sealed class SmallBodyApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:MAX_REQUEST_BODY_BYTES"] = "4000" };
}

/// <summary>The service with one upload or import at a time.</summary>
public sealed class OneUploadApp : SqliteApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Analyzer:MAX_CONCURRENT_UPLOADS"] = "1" };
}

/// <summary>The REST API's body limit holds for gRPC, over a whole import stream.</summary>
public sealed class GrpcBodyLimitTests(SmallBodyApp app) : IClassFixture<SmallBodyApp>
{
    [Fact]
    public async Task An_import_larger_than_the_body_limit_in_all_its_messages_is_RESOURCE_EXHAUSTED_and_stores_nothing()
    {
        var grpc = GrpcClients.Client(app);
        var small = await grpc.ImportAsync(Import(Citizen(1)));
        // 60 citizens of ~110 bytes each, in messages of 5: each message is far below the limit, all together above it.
        var body = Import([.. Enumerable.Range(1, 60).Select(id => Citizen(id))]);
        var e = await Assert.ThrowsAsync<RpcException>(() => grpc.ImportAsync(body, batchSize: 5));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("4000 bytes", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(small + 1, await grpc.ImportAsync(Import(Citizen(1))));
    }

}

/// <summary>The REST API's upload limit holds for gRPC imports.</summary>
public sealed class GrpcUploadLimitTests(OneUploadApp app) : IClassFixture<OneUploadApp>
{
    [Fact]
    public async Task An_import_beyond_the_concurrent_upload_limit_is_UNAVAILABLE()
    {
        var grpc = GrpcClients.Client(app);
        // The first call holds the one permit from the moment the service has its headers: the next import is refused.
        // Until the service has them, a probing import may take the permit first, and then the first call is the one
        // refused: that round starts again (a bounded number of times).
        for (var round = 0; round < 5; round++)
        {
            using var first = grpc.ImportCitizens();
            await first.RequestStream.WriteAsync(new ImportCitizensRequest { Citizens = { GrpcClients.ToMessage(Citizen(1)) } });
            RpcException? refused = null;
            for (var attempt = 0; attempt < 50 && refused is null && !first.ResponseAsync.IsCompleted; attempt++)
            {
                refused = await Record.ExceptionAsync(() => grpc.ImportAsync(Import(Citizen(1)))) as RpcException;
                if (refused is null)
                {
                    await Task.Delay(100);
                }
            }
            if (refused is null && first.ResponseAsync.IsCompleted)
            {
                var firstRefused = await Assert.ThrowsAsync<RpcException>(() => first.ResponseAsync);
                Assert.Equal(GrpcStatusCode.Unavailable, firstRefused.StatusCode);
                continue;
            }
            Assert.NotNull(refused);
            Assert.Equal(GrpcStatusCode.Unavailable, refused.StatusCode);

            await first.RequestStream.CompleteAsync();
            Assert.True((await first.ResponseAsync).ImportId > 0);
            return;
        }
        Assert.Fail("in 5 rounds, the first import never held the permit");
    }
}

/// <summary>A write behind a held SQLite write lock: UNAVAILABLE, as REST's 503.</summary>
public sealed class GrpcUnavailableTests(ShortBusyTimeoutApp app) : IClassFixture<ShortBusyTimeoutApp>
{
    [Fact]
    public async Task A_patch_behind_a_held_write_lock_is_UNAVAILABLE_and_reads_go_on()
    {
        var grpc = GrpcClients.Client(app);
        var importId = await grpc.ImportAsync(Import(Citizen(1)));
        await using var connection = app.Connect();
        await connection.OpenAsync();
        await using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() =>
                grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Name = "Ann" }).ResponseAsync);
            Assert.Equal(GrpcStatusCode.Unavailable, e.StatusCode);
            Assert.Equal("5000", e.Trailers.GetValue("grpc-retry-pushback-ms"));
            Assert.Single(await grpc.ListAsync(importId));
            await transaction.RollbackAsync();
        }
        var patched = await grpc.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Name = "Ann" });
        Assert.Equal("Ann", patched.Citizen.Name);
    }
}
