using Analyzer.Auth;
using Analyzer.Grpc.V1;
using Analyzer.Tests.Auth;
using Analyzer.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using static Analyzer.Tests.Infrastructure.Citizens;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Analyzer.Tests.Grpc;

public sealed class SqliteGrpcAuthTests(SqliteAuthApp app) : GrpcAuthTests<SqliteAuthApp>(app);

public sealed class PostgresGrpcAuthTests(PostgresAuthApp app) : GrpcAuthTests<PostgresAuthApp>(app), IPostgresTests;

/// <summary>With authentication on, gRPC calls need the bearer token and the scope of their REST twins; health stays open.</summary>
public abstract class GrpcAuthTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : AnalyzerApp
{
    [BackendFact]
    public async Task Without_a_token_every_call_is_UNAUTHENTICATED_and_health_stays_open()
    {
        var anonymous = GrpcClients.Client(app);
        var import = await Assert.ThrowsAsync<RpcException>(() => anonymous.ImportAsync(ContractExample()));
        Assert.Equal(GrpcStatusCode.Unauthenticated, import.StatusCode);
        var list = await Assert.ThrowsAsync<RpcException>(() => anonymous.ListAsync(1));
        Assert.Equal(GrpcStatusCode.Unauthenticated, list.StatusCode);
        var birthdays = await Assert.ThrowsAsync<RpcException>(() => anonymous.GetBirthdaysAsync(new GetBirthdaysRequest { ImportId = 1 }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.Unauthenticated, birthdays.StatusCode);
        var forged = GrpcClients.Client(app, "not-a-token");
        var refused = await Assert.ThrowsAsync<RpcException>(() => forged.ListAsync(1));
        Assert.Equal(GrpcStatusCode.Unauthenticated, refused.StatusCode);

        var health = new Health.HealthClient(GrpcClients.Channel(app));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [BackendFact]
    public async Task The_read_scope_reads_but_cannot_write_and_the_write_scope_writes_but_cannot_read()
    {
        var writer = GrpcClients.Client(app, TestKeys.Issue(Scopes.Write).Token);
        var reader = GrpcClients.Client(app, TestKeys.Issue(Scopes.Read).Token);

        var importId = await writer.ImportAsync(ContractExample());
        var denied = await Assert.ThrowsAsync<RpcException>(() => writer.ListAsync(importId));
        Assert.Equal(GrpcStatusCode.PermissionDenied, denied.StatusCode);

        Assert.Equal(3, (await reader.ListAsync(importId)).Count);
        await reader.GetBirthdaysAsync(new GetBirthdaysRequest { ImportId = importId });
        await reader.GetAgePercentilesAsync(new GetAgePercentilesRequest { ImportId = importId });
        var importDenied = await Assert.ThrowsAsync<RpcException>(() => reader.ImportAsync(ContractExample()));
        Assert.Equal(GrpcStatusCode.PermissionDenied, importDenied.StatusCode);
        var patchDenied = await Assert.ThrowsAsync<RpcException>(() =>
            reader.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Name = "Ann" }).ResponseAsync);
        Assert.Equal(GrpcStatusCode.PermissionDenied, patchDenied.StatusCode);

        var patched = await writer.PatchCitizenAsync(new PatchCitizenRequest { ImportId = importId, CitizenId = 1, Name = "Ann" });
        Assert.Equal("Ann", patched.Citizen.Name);
    }
}
