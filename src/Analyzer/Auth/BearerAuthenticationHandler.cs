using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analyzer.Auth;

/// <summary>
/// The <c>Bearer</c> scheme: checks <c>Authorization: Bearer &lt;JWT&gt;</c> with <see cref="TokenValidation"/>
/// and the revocation table. A challenge is 401 with <c>WWW-Authenticate: Bearer</c> (plus
/// <c>error="invalid_token"</c> when a token was sent but refused), a forbid is 403 with
/// <c>error="insufficient_scope"</c>; both bodies are problem+json from <see cref="IProblemDetailsService"/>.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenValidation validation,
    RevocationCache revocations,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private const string Prefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (!validation.Enabled || header is null || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var token = header[Prefix.Length..].Trim();
        if (token.Length == 0)
        {
            return AuthenticateResult.Fail("the Authorization header has no token after Bearer");
        }
        var result = await TokenValidation.Handler.ValidateTokenAsync(token, validation.Parameters);
        if (!result.IsValid)
        {
            return AuthenticateResult.Fail(Describe(result.Exception));
        }
        if (result.SecurityToken is JsonWebToken { Id: { Length: > 0 } jti }
            && await revocations.IsRevokedAsync(jti, Context.RequestAborted))
        {
            return AuthenticateResult.Fail("the token has been revoked");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(result.ClaimsIdentity), Scheme.Name));
    }

    /// <summary>Why a token was refused, in words that name no secret and echo nothing from the token.</summary>
    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException expired => $"the token expired at {expired.Expires:yyyy-MM-dd HH:mm:ss} UTC",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf)",
        SecurityTokenNoExpirationException => "the token has no expiry (exp)",
        SecurityTokenInvalidSignatureException => "the token's signature does not verify with the configured key",
        SecurityTokenInvalidAudienceException => "the token is meant for another audience (aud)",
        SecurityTokenInvalidIssuerException => "the token is from another issuer (iss)",
        SecurityTokenInvalidAlgorithmException => "the token is signed with an algorithm this service does not accept",
        SecurityTokenMalformedException or ArgumentException => "the token is not a well-formed signed JWT",
        _ => "the token is not valid",
    };

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{failure.Replace('"', '\'')}\"";
        await WriteProblemAsync("Unauthorized", failure is null
            ? "This endpoint needs a bearer token: send Authorization: Bearer <token>."
            : $"The bearer token was refused: {failure}.");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var scope = Context.Items[ScopeRequirementHandler.MissingScopeKey] as string;
        Response.StatusCode = StatusCodes.Status403Forbidden;
        Response.Headers.WWWAuthenticate = scope is null
            ? "Bearer error=\"insufficient_scope\""
            : $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
        await WriteProblemAsync("Forbidden", scope is null
            ? "The token does not grant what this endpoint requires."
            : $"The token lacks the scope {scope} that this endpoint requires.");
    }

    private async Task WriteProblemAsync(string title, string detail)
    {
        var problem = new ProblemDetails { Status = Response.StatusCode, Title = title, Detail = detail };
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem }))
        {
            // The client's Accept header ruled JSON out: problem+json all the same, never an empty body.
            await TypedResults.Problem(problem).ExecuteAsync(Context);
        }
    }
}
