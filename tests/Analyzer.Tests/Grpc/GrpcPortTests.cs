using System.Globalization;
using System.Net;
using Analyzer.Grpc.V1;
using Analyzer.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using static Analyzer.Tests.Infrastructure.Citizens;
using AnalyzerClient = Analyzer.Grpc.V1.Analyzer.AnalyzerClient;
using GrpcStatusCode = Grpc.Core.StatusCode;

namespace Analyzer.Tests.Grpc;

/// <summary>The real executable: gRPC over h2c on its own port beside the REST port, and --grpc-port 0.</summary>
public sealed class GrpcPortTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("analyzer-grpc-");

    private string Db => "sqlite://" + Path.Combine(directory.FullName, "analyzer.db");

    [Fact]
    public async Task The_executable_serves_gRPC_over_h2c_on_the_grpc_port_beside_REST()
    {
        var grpcPort = AnalyzerProcess.FreePort();
        await using var server = await AnalyzerServer.StartAsync(directory.FullName, null,
            "--db", Db, "--grpc-port", grpcPort.ToString(CultureInfo.InvariantCulture), "--log-level", "Warning");
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new AnalyzerClient(channel);

        var importId = await client.ImportAsync(ContractExample());
        var listed = await client.ListAsync(importId);
        var expected = await server.Client.GetCitizensAsync(importId);
        Assert.Equal(expected.Values.Select(c => c.ToJsonString()), listed.Values.Select(c => c.ToJsonString()));
        var health = new Health.HealthClient(channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

        // The REST port speaks HTTP/1.1: no gRPC there; the gRPC port speaks HTTP/2 only: no REST over HTTP/1.1 there.
        using var restChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}");
        var onRestPort = await Assert.ThrowsAsync<RpcException>(() => new AnalyzerClient(restChannel).ListAsync(importId));
        Assert.NotEqual(GrpcStatusCode.OK, onRestPort.StatusCode);
        using var http1 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{grpcPort}"), Timeout = TimeSpan.FromSeconds(10) };
        var onGrpcPort = await Record.ExceptionAsync(async () =>
        {
            using var response = await http1.GetAsync($"/imports/{importId}/citizens");
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        });
        Assert.True(onGrpcPort is null or HttpRequestException, onGrpcPort?.ToString());
    }

    [Fact]
    public async Task Grpc_port_0_serves_no_gRPC_and_a_grpc_port_equal_to_the_api_port_is_a_usage_error()
    {
        var grpcPort = AnalyzerProcess.FreePort();
        await using (var server = await AnalyzerServer.StartAsync(directory.FullName, null, "--db", Db, "--grpc-port", "0", "--log-level", "Warning"))
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var refused = await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync);
            Assert.Equal(GrpcStatusCode.Unavailable, refused.StatusCode);
        }

        var result = await AnalyzerProcess.RunAsync(directory.FullName, null, "--db", Db, "--api-port", "18099", "--grpc-port", "18099");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--grpc-port: must differ from --api-port", result.AssertOneErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grpc_port_in_use_is_one_line_naming_the_option_and_exit_1()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var result = await AnalyzerProcess.RunAsync(directory.FullName, null, "--db", Db, "--api-address", "127.0.0.1",
            "--api-port", AnalyzerProcess.FreePort().ToString(CultureInfo.InvariantCulture), "--grpc-port", port);

        Assert.Equal(1, result.ExitCode);
        var line = result.AssertOneErrorLine();
        Assert.Contains("--grpc-port " + port, line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }
}
