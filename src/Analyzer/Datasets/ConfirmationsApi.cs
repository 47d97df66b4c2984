using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Analyzer.Auth;
using Analyzer.Docs;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.Extensions.Options;

namespace Analyzer.Datasets;

/// <summary>
/// Changes confirmed by a link, for places where only a link can be sent: a GET validates the change and
/// answers a single-use <c>confirm_url</c>; following it applies the change once.
/// </summary>
public static class ConfirmationsApi
{
    public static void MapConfirmations(this IEndpointRouteBuilder app, RouteGroupBuilder rows)
    {
        // GETs that lead to a change need the write scope; the confirmation link itself is the credential.
        rows.MapGet("/create", RequestCreate).WithName("RequestRowCreate").WithSummary("Ask for a confirmation link that creates a row")
            .WithDescription("For places where only a link can be sent. The query is the new row (col=value, checked as in PUT); " +
                "nothing changes until confirm_url is followed.")
            .DocumentsParameters(DatasetParameters.CreateValues)
            .ProducesContract(StatusCodes.Status202Accepted, DatasetSchemas.Confirmation, "The change is pending behind confirm_url.", DatasetExamples.CreateConfirmation)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Write);
        rows.MapGet("/{id:id}/update", RequestUpdate).WithName("RequestRowUpdate").WithSummary("Ask for a confirmation link that updates a row")
            .WithDescription("For places where only a link can be sent. The query is the columns to change (col=value, checked as in PATCH); " +
                "nothing changes until confirm_url is followed.")
            .DocumentsParameters(DatasetParameters.UpdateValues)
            .ProducesContract(StatusCodes.Status202Accepted, DatasetSchemas.Confirmation, "The change is pending behind confirm_url.", DatasetExamples.UpdateConfirmation)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Write);

        app.MapMethods("/confirmations/{token}", [HttpMethods.Get, HttpMethods.Post], Confirm)
            .WithTags("Datasets").WithName("ConfirmChange").WithSummary("Apply a change requested with a confirmation link, once")
            .WithDescription("Needs no token: the link is the credential. It applies the change once; it is 410 after that, and 404 " +
                "when it is unknown or has expired. 409 when the change no longer fits (the row or the dataset has changed or gone).")
            .DocumentsParameters(DatasetParameters.Token)
            .ProducesContract(StatusCodes.Status201Created, DatasetSchemas.RowData, "A row was created (action create).", DatasetExamples.NewRowData,
                location: "The new row's path: /datasets/{name}/rows/{id}.")
            .ProducesContract(StatusCodes.Status200OK, DatasetSchemas.RowData, "The row was updated (action update).", DatasetExamples.PatchedData)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .AllowAnonymous();
    }

    private static Task<IResult> RequestCreate(string name, HttpRequest request, DatasetRows rows, DatasetConfirmations confirmations, TimeProvider time, IOptions<DatasetsOptions> options, IOptions<WebOptions> web, CancellationToken cancellationToken) =>
        RequestChange(name, null, request, rows, confirmations, time, options.Value, web.Value, cancellationToken);

    private static Task<IResult> RequestUpdate(string name, long id, HttpRequest request, DatasetRows rows, DatasetConfirmations confirmations, TimeProvider time, IOptions<DatasetsOptions> options, IOptions<WebOptions> web, CancellationToken cancellationToken) =>
        RequestChange(name, id, request, rows, confirmations, time, options.Value, web.Value, cancellationToken);

    /// <summary>Validates a change given in the query string and stores it behind a single-use random token.</summary>
    private static async Task<IResult> RequestChange(string name, long? id, HttpRequest request, DatasetRows rows, DatasetConfirmations confirmations,
        TimeProvider time, DatasetsOptions options, WebOptions web, CancellationToken cancellationToken)
    {
        await using var transaction = await rows.BeginWriteAsync(name, cancellationToken);
        if (transaction.Dataset is not { } dataset)
        {
            return DatasetsApi.DatasetNotFound(name);
        }
        if (id is { } rowId && await transaction.ReadRowAsync(rowId, cancellationToken) is null)
        {
            return DatasetsApi.RowNotFound(name, rowId);
        }
        var action = id is null ? ChangeAction.Create : ChangeAction.Update;
        var errors = new ValidationErrors();
        var values = RowValues.FromText(dataset, request.Query.Select(q => KeyValuePair.Create(q.Key, q.Value.ToString())),
            action == ChangeAction.Create ? Required.EveryNotNullColumn : Required.AnyColumn, errors);
        if (!errors.IsEmpty)
        {
            return Problems.Invalid(errors, "No change was requested: fix the columns listed in errors.");
        }
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var expiresAt = time.GetUtcNow().AddMinutes(options.ConfirmationTtlMinutes);
        await confirmations.AddPendingAsync(transaction, TokenHash(token), action, id, values, expiresAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // Never from a Host header nobody vouched for: see PublicLinks.
        var confirmUrl = $"{PublicLinks.BaseUrl(request, web)}/confirmations/{token}";
        return new WrittenJson(StatusCodes.Status202Accepted, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("confirm_url"u8, confirmUrl);
            writer.WriteString("expires_at"u8, RowValues.FormatTimestamp(expiresAt));
            writer.WriteString("action"u8, action.ToName());
            writer.WriteEndObject();
        });
    }

    private static byte[] TokenHash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));

    private static async Task<IResult> Confirm(string token, DatasetConfirmations confirmations, CancellationToken cancellationToken)
    {
        var outcome = await confirmations.ConfirmAsync(TokenHash(token), cancellationToken);
        return outcome.Status switch
        {
            ConfirmStatus.Applied => DatasetsApi.RowResult(outcome.Dataset!, outcome.Row!,
                outcome.Action == ChangeAction.Create ? StatusCodes.Status201Created : StatusCodes.Status200OK),
            ConfirmStatus.AlreadyUsed => Problems.Gone("this confirmation link has been used already"),
            ConfirmStatus.RowGone => Problems.Conflict("the change can no longer be applied: the row or the dataset has changed or gone"),
            _ => Problems.NotFound("no such confirmation link, or it has expired"),
        };
    }
}
