using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Analyzer.Imports;
using Analyzer.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Analyzer.Auth;

/// <summary>
/// <c>POST /auth/sessions</c> <c>{"name", "code"}</c>: a person enrolled with <c>analyzer users add</c> trades a TOTP
/// code for a short-lived token with their scopes. Open without a token. An unknown name and a wrong code get the
/// same 401; <see cref="SignInRules.MaxFailures"/> wrong codes in a row lock the name for a minute (429, Retry-After).
/// </summary>
public static class SessionsApi
{
    /// <summary>How long a signed-in session's token lives (or less, when the service accepts less).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(30);

    /// <summary>The body of <c>POST /auth/sessions</c> (read by hand; this names it for the document).</summary>
    public sealed record SessionRequest([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("code")] string Code);

    public static IServiceCollection AddSessions(this IServiceCollection services) =>
        services.AddSingleton<TotpUsers>().AddSingleton<SessionKeys>();

    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder group)
    {
        group.MapPost("/sessions", SignIn).WithName("SignIn")
            .WithSummary("Sign in with a TOTP code: a short-lived token with the person's scopes")
            .WithDescription("For people enrolled with analyzer users add. Codes of the current 30-second step and the one before and after are "
                + "accepted, each once. An unknown name and a wrong code are the same 401; 5 wrong codes in a row lock the name for a minute (429 with "
                + "Retry-After). 404 when the service has no HS256 secret (--auth-secret-file) to sign tokens with, or authentication is off.")
            .Accepts<SessionRequest>(JsonData.ContentType)
            .Produces<DataEnvelope<SessionToken>>(StatusCodes.Status200OK, JsonData.ContentType)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .AllowAnonymous();
        return group;
    }

    private static async Task<Results<JsonHttpResult<DataEnvelope<SessionToken>>, ValidationProblem, ProblemHttpResult>> SignIn(
        HttpRequest request, SessionKeys keys, TotpUsers users, IOptions<AuthOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (keys.TokenSecret is not { } tokenSecret)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found",
                detail: "sign-in with codes is off: the service signs tokens only with an HS256 secret (--auth-secret-file)");
        }
        var (body, refusal) = await RequestBody.ReadJsonAsync(request, cancellationToken);
        if (body is null)
        {
            return refusal!;
        }
        var errors = new ValidationErrors();
        SessionRequest? session;
        using (body)
        {
            session = ReadSessionRequest(body.Content, errors);
        }
        if (session is null)
        {
            return Problems.Invalid(errors, """Send {"name": "<your name>", "code": "<the 6 digits of your authenticator app>"}.""");
        }
        var now = time.GetUtcNow();
        var result = await users.SignInAsync(session.Name,
            sealedSecret => TotpSecrets.TryOpen(keys.SecretKey!, session.Name, sealedSecret, out var secret) ? TotpCodes.MatchStep(secret, session.Code, now) : null,
            now, cancellationToken);
        switch (result.Status)
        {
            case SignInStatus.Accepted:
                var auth = options.Value;
                var lifetime = auth.MaxTokenLifetime < SessionLifetime ? auth.MaxTokenLifetime : SessionLifetime;
                var token = Tokens.Issue(tokenSecret, result.Scopes, lifetime, now, session.Name, auth.Issuer, auth.Audience);
                return JsonData.Ok(new SessionToken(token.Token, token.Jti, token.ExpiresAt, result.Scopes), AuthJsonContext.Default.DataEnvelopeSessionToken);
            case SignInStatus.Locked:
                request.HttpContext.Response.Headers.RetryAfter = result.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests",
                    detail: $"too many wrong codes: try again in {result.RetryAfterSeconds} seconds");
            default:
                // RFC 9110: a 401 names a scheme; the token this endpoint hands out is a bearer token.
                request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: "the name or the code is wrong (a code is accepted once, within 30 seconds of its time)");
        }
    }

    /// <summary>Reads <c>{"name": "...", "code": "..."}</c> and nothing else; null when <paramref name="errors"/> says why not.</summary>
    public static SessionRequest? ReadSessionRequest(ReadOnlySequence<byte> body, ValidationErrors errors)
    {
        if (!JsonBody.Check(body, errors))
        {
            return null;
        }
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$", """must be an object: {"name": "...", "code": "..."}""");
            return null;
        }
        string? name = null, code = null;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name" when property.Value.ValueKind == JsonValueKind.String:
                    name = property.Value.GetString();
                    if (name is null || !TotpUsers.IsValidName(name))
                    {
                        errors.Add("name", $"must be 1–{TotpUsers.MaxNameLength} letters, digits or . _ @ -");
                    }
                    break;
                case "code" when property.Value.ValueKind == JsonValueKind.String:
                    code = property.Value.GetString();
                    if (code is null || code.Length != TotpCodes.Digits || !code.All(char.IsAsciiDigit))
                    {
                        errors.Add("code", $"must be the {TotpCodes.Digits} digits your authenticator app shows, as a string");
                    }
                    break;
                case "name" or "code":
                    errors.Add(property.Name, "must be a string");
                    break;
                default:
                    errors.Add(property.Name, "is not a field of a sign-in; send only name and code");
                    break;
            }
        }
        if (name is null && !errors.ToDictionary().ContainsKey("name"))
        {
            errors.Add("name", "is required");
        }
        if (code is null && !errors.ToDictionary().ContainsKey("code"))
        {
            errors.Add("code", "is required");
        }
        return errors.IsEmpty ? new SessionRequest(name!, code!) : null;
    }
}

/// <summary>The HS256 secret that signs session tokens, and the key derived from it that opens the TOTP secrets; null without --auth-secret-file.</summary>
public sealed class SessionKeys
{
    public SessionKeys(IOptions<AuthOptions> options)
    {
        if (options.Value.SecretFile is { Length: > 0 } file && AuthKeys.TryReadSecret(file, out var secret, out _))
        {
            TokenSecret = secret;
            SecretKey = TotpSecrets.DeriveKey(secret);
        }
    }

    public byte[]? TokenSecret { get; }

    public byte[]? SecretKey { get; }
}

/// <summary>A signed-in session: the bearer token, its id (for revocation), when it expires, the scopes it grants.</summary>
public sealed record SessionToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("jti")] string Jti,
    [property: JsonPropertyName("expires_at")] DateTime ExpiresAt,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes);
