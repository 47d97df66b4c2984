using Analyzer.Grpc;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Analyzer.Tests.Grpc;

/// <summary>The storage's expected failures get the gRPC statuses of their REST answers (503 → UNAVAILABLE, 507 → RESOURCE_EXHAUSTED).</summary>
public sealed class GrpcErrorsTests
{
    [Fact]
    public void A_full_disk_is_resource_exhausted()
    {
        var status = UnavailableInterceptor.ToStatus(new InvalidOperationException("wrapped", new SqliteException("database or disk is full", 13)));
        Assert.Equal(StatusCode.ResourceExhausted, status?.StatusCode);
        Assert.Null(status!.Trailers.Get(UnavailableInterceptor.RetryPushbackTrailer));
    }

    [Fact]
    public void A_busy_database_is_unavailable_with_a_pushback()
    {
        var status = UnavailableInterceptor.ToStatus(new SqliteException("database is locked", 5));
        Assert.Equal(StatusCode.Unavailable, status?.StatusCode);
        Assert.NotNull(status!.Trailers.Get(UnavailableInterceptor.RetryPushbackTrailer));
    }

    [Fact]
    public void Other_failures_and_statuses_already_chosen_are_left_alone()
    {
        Assert.Null(UnavailableInterceptor.ToStatus(new InvalidOperationException("a bug")));
        Assert.Null(UnavailableInterceptor.ToStatus(new RpcException(new Status(StatusCode.NotFound, "no such import"))));
    }
}
