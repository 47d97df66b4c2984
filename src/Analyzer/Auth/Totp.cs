using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using OtpNet;

namespace Analyzer.Auth;

/// <summary>RFC 6238 codes (Otp.NET): 6 digits, 30-second steps, HMAC-SHA-1, as authenticator apps expect by default.</summary>
public static class TotpCodes
{
    public const int Digits = 6;

    public const int StepSeconds = 30;

    /// <summary>Codes of the step before and after the current one are accepted too (a phone's clock, the time to type).</summary>
    public static readonly VerificationWindow Window = new(previous: 1, future: 1);

    /// <summary>A new shared secret: 20 random bytes (160 bits, RFC 4226's recommended length for SHA-1).</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(20);

    /// <summary>The time step whose code <paramref name="code"/> is, within <see cref="Window"/> of <paramref name="now"/>, or null.</summary>
    public static long? MatchStep(byte[] secret, string code, DateTimeOffset now, OtpHashMode mode = OtpHashMode.Sha1, int digits = Digits)
    {
        if (code.Length != digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }
        return new Totp(secret, StepSeconds, mode, digits).VerifyTotp(now.UtcDateTime, code, out var step, Window) ? step : null;
    }

    /// <summary>The code of <paramref name="at"/> (for tests and for people who type it).</summary>
    public static string Compute(byte[] secret, DateTimeOffset at, OtpHashMode mode = OtpHashMode.Sha1, int digits = Digits) =>
        new Totp(secret, StepSeconds, mode, digits).ComputeTotp(at.UtcDateTime);

    /// <summary>The <c>otpauth://totp/...</c> URI an authenticator app enrols from (as text or as its QR code).</summary>
    public static string EnrolmentUri(byte[] secret, string name, string issuer = "Analyzer") =>
        new OtpUri(OtpType.Totp, Base32Encoding.ToString(secret).TrimEnd('='), name, issuer).ToString();
}

/// <summary>
/// Shared secrets encrypted at rest: AES-256-GCM under a key derived (HKDF-SHA-256) from the service's HS256 token
/// secret, with the person's name as associated data (a sealed secret copied to another row does not open). RFC 6238
/// needs the secret itself to compute codes, so it cannot be hashed; without the token secret the table is useless.
/// </summary>
public static class TotpSecrets
{
    private const int NonceBytes = 12;

    private const int TagBytes = 16;

    private static readonly byte[] Purpose = "analyzer totp secrets v1"u8.ToArray();

    public static byte[] DeriveKey(byte[] tokenSecret) => HKDF.DeriveKey(HashAlgorithmName.SHA256, tokenSecret, 32, [], Purpose);

    /// <summary>nonce ‖ tag ‖ ciphertext.</summary>
    public static byte[] Seal(byte[] key, string name, byte[] secret)
    {
        var sealedSecret = new byte[NonceBytes + TagBytes + secret.Length];
        var nonce = sealedSecret.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, secret, sealedSecret.AsSpan(NonceBytes + TagBytes), sealedSecret.AsSpan(NonceBytes, TagBytes), System.Text.Encoding.UTF8.GetBytes(name));
        return sealedSecret;
    }

    /// <summary>The secret, or false when it was sealed under another key (the token secret changed) or for another name.</summary>
    public static bool TryOpen(byte[] key, string name, byte[] sealedSecret, [NotNullWhen(true)] out byte[]? secret)
    {
        secret = null;
        if (sealedSecret.Length <= NonceBytes + TagBytes)
        {
            return false;
        }
        var plain = new byte[sealedSecret.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(sealedSecret.AsSpan(0, NonceBytes), sealedSecret.AsSpan(NonceBytes + TagBytes), sealedSecret.AsSpan(NonceBytes, TagBytes), plain,
                System.Text.Encoding.UTF8.GetBytes(name));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        secret = plain;
        return true;
    }
}

public enum SignInStatus { Accepted, Refused, Locked }

/// <summary>What the service remembers of a person's sign-ins: the last step accepted, failures in a row, and a lock.</summary>
public sealed record SignInState(long? LastStep, int Failures, long? LockedUntil)
{
    public static SignInState Fresh { get; } = new(null, 0, null);
}

public sealed record SignInDecision(SignInStatus Status, SignInState Next, long RetryAfterSeconds = 0);

/// <summary>The sign-in rules as one pure function: each code once, <see cref="MaxFailures"/> wrong codes lock for <see cref="LockSeconds"/>.</summary>
public static class SignInRules
{
    public const int MaxFailures = 5;

    public const int LockSeconds = 60;

    /// <summary>
    /// <paramref name="matchedStep"/> is the step of the code sent (null: wrong code, or an unknown person). A locked
    /// person is not even checked; a code of a step not after the last accepted one is a replay, refused as a wrong code.
    /// The failure that reaches the limit answers Locked already.
    /// </summary>
    public static SignInDecision Decide(SignInState state, long? matchedStep, long nowUnixSeconds)
    {
        if (state.LockedUntil is { } until && until > nowUnixSeconds)
        {
            return new SignInDecision(SignInStatus.Locked, state, until - nowUnixSeconds);
        }
        if (matchedStep is { } step && (state.LastStep is null || step > state.LastStep))
        {
            return new SignInDecision(SignInStatus.Accepted, new SignInState(step, 0, null));
        }
        var failures = state.Failures + 1;
        return failures >= MaxFailures
            ? new SignInDecision(SignInStatus.Locked, new SignInState(state.LastStep, 0, nowUnixSeconds + LockSeconds), LockSeconds)
            : new SignInDecision(SignInStatus.Refused, new SignInState(state.LastStep, failures, null));
    }
}
