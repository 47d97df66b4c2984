using Analyzer.Imports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analyzer.Web;

/// <summary>The expected failures, as RFC 9457 problem details.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not Found");

    public static ProblemHttpResult ImportNotFound(string importId) => NotFound($"import {importId} does not exist");

    public static ValidationProblem Invalid(ValidationErrors errors, string detail) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), detail: detail, title: "The request is invalid");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Gone(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status410Gone, title: "Gone");

    public static ProblemHttpResult UnsupportedMediaType(string? contentType, string expected = "application/json") =>
        TypedResults.Problem(
            detail: $"send the body as {expected}, not {contentType}",
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            title: "Unsupported Media Type");

    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(
            detail: $"the body is larger than the limit of {limit} bytes",
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Payload Too Large");
}
