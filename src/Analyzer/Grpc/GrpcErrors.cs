using Analyzer.Imports;
using Analyzer.Web;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Status = Google.Rpc.Status;

namespace Analyzer.Grpc;

/// <summary>The gRPC statuses of the REST API's expected failures (its problem+json answers).</summary>
public static class GrpcErrors
{
    /// <summary>
    /// INVALID_ARGUMENT with a <c>google.rpc.BadRequest</c>: one field violation per message of the REST answer's
    /// <c>errors</c> map, with its path as the field.
    /// </summary>
    public static RpcException Invalid(ValidationErrors errors, string message)
    {
        var badRequest = new BadRequest();
        foreach (var (field, descriptions) in errors.ToDictionary())
        {
            foreach (var description in descriptions)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });
            }
        }
        return new Status { Code = (int)Code.InvalidArgument, Message = message, Details = { Any.Pack(badRequest) } }.ToRpcException();
    }

    public static RpcException ImportNotFound(long importId) =>
        new(new global::Grpc.Core.Status(StatusCode.NotFound, $"import {importId} does not exist"));

    public static RpcException CitizenNotFound(long importId, int citizenId) =>
        new(new global::Grpc.Core.Status(StatusCode.NotFound, $"citizen {citizenId} of import {importId} does not exist"));

    public static RpcException TooLarge(long limit) =>
        new(new global::Grpc.Core.Status(StatusCode.ResourceExhausted,
            $"the import is larger than the limit of {limit} bytes (--max-request-body-bytes, counted over all its messages)"));
}

/// <summary>
/// A database that cannot be reached or is busy is UNAVAILABLE, as it is a 503 in REST, and a full disk is
/// RESOURCE_EXHAUSTED, as it is a 507 (<see cref="Unavailable"/> tells which failures those are); anything else stays an
/// error of the handler (UNKNOWN, logged by gRPC with the request id).
/// </summary>
public sealed class UnavailableInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (ToStatus(e) is { } status)
        {
            throw status;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception e) when (ToStatus(e) is { } status)
        {
            throw status;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (ToStatus(e) is { } status)
        {
            throw status;
        }
    }

    /// <summary>REST's <c>Retry-After</c> as gRPC says it: the pushback a client's retry policy waits for.</summary>
    public const string RetryPushbackTrailer = "grpc-retry-pushback-ms";

    /// <summary>The status of an expected failure of the storage, or null for any other exception.</summary>
    internal static RpcException? ToStatus(Exception e) => e switch
    {
        RpcException => null,
        _ when Unavailable.IsStorageFull(e) => new(new global::Grpc.Core.Status(StatusCode.ResourceExhausted, Unavailable.FullDetail, e)),
        _ when Unavailable.IsUnavailable(e) => new(new global::Grpc.Core.Status(StatusCode.Unavailable, Unavailable.Detail, e),
            new Metadata { { RetryPushbackTrailer, (Unavailable.RetryAfterSeconds * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture) } }),
        _ => null,
    };
}
