using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Analyzer.Imports;
using Proto = Analyzer.Grpc.V1;

namespace Analyzer.Grpc;

/// <summary>
/// Between the messages of the gRPC API and the service's own types. Import and patch messages are validated by
/// writing the REST JSON body they stand for and reading it with <see cref="CitizenJson"/>: one validation, so every
/// rule, error text and error path is the REST API's by construction (the detour costs a few milliseconds per
/// 10,000 citizens, small beside storing them). A field the message does not set is a key the body lacks.
/// </summary>
public static class CitizenMessages
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The body is read back at once, never shown: non-ASCII text stays as it is instead of \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Writes <c>{"citizens": [</c>; then <see cref="WriteImportCitizen"/> for each, then <see cref="EndImport"/>.</summary>
    public static Utf8JsonWriter BeginImport(IBufferWriter<byte> body)
    {
        var writer = new Utf8JsonWriter(body, WriterOptions);
        writer.WriteStartObject();
        writer.WriteStartArray("citizens"u8);
        return writer;
    }

    public static void EndImport(Utf8JsonWriter writer)
    {
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    public static void WriteImportCitizen(Utf8JsonWriter writer, Proto.ImportCitizen citizen)
    {
        writer.WriteStartObject();
        if (citizen.HasCitizenId)
        {
            writer.WriteNumber("citizen_id"u8, citizen.CitizenId);
        }
        WriteIfSet(writer, "town"u8, citizen.HasTown, citizen.Town);
        WriteIfSet(writer, "street"u8, citizen.HasStreet, citizen.Street);
        WriteIfSet(writer, "building"u8, citizen.HasBuilding, citizen.Building);
        if (citizen.HasApartment)
        {
            writer.WriteNumber("apartment"u8, citizen.Apartment);
        }
        WriteIfSet(writer, "name"u8, citizen.HasName, citizen.Name);
        WriteIfSet(writer, "birth_date"u8, citizen.HasBirthDate, citizen.BirthDate);
        if (citizen.Gender != Proto.Gender.Unspecified)
        {
            WriteGender(writer, citizen.Gender);
        }
        CitizenJson.WriteIds(writer, "relatives"u8, citizen.Relatives);
        if (citizen.Friends is { } friends)
        {
            CitizenJson.WriteIds(writer, "friends"u8, friends.Ids);
        }
        WriteIfSet(writer, "channel"u8, citizen.HasChannel, citizen.Channel);
        writer.WriteEndObject();
    }

    /// <summary>The PATCH body a request stands for (its ids aside).</summary>
    public static ReadOnlySequence<byte> PatchBody(Proto.PatchCitizenRequest request)
    {
        var body = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body, WriterOptions))
        {
            writer.WriteStartObject();
            WriteIfSet(writer, "town"u8, request.HasTown, request.Town);
            WriteIfSet(writer, "street"u8, request.HasStreet, request.Street);
            WriteIfSet(writer, "building"u8, request.HasBuilding, request.Building);
            if (request.HasApartment)
            {
                writer.WriteNumber("apartment"u8, request.Apartment);
            }
            WriteIfSet(writer, "name"u8, request.HasName, request.Name);
            WriteIfSet(writer, "birth_date"u8, request.HasBirthDate, request.BirthDate);
            if (request.HasGender)
            {
                WriteGender(writer, request.Gender);
            }
            if (request.Relatives is { } relatives)
            {
                CitizenJson.WriteIds(writer, "relatives"u8, relatives.Ids);
            }
            if (request.Friends is { } friends)
            {
                CitizenJson.WriteIds(writer, "friends"u8, friends.Ids);
            }
            if (request.Channel is { } channel)
            {
                if (channel.HasChannel)
                {
                    writer.WriteString("channel"u8, channel.Channel);
                }
                else
                {
                    writer.WriteNull("channel"u8);
                }
            }
            writer.WriteEndObject();
        }
        return new ReadOnlySequence<byte>(body.WrittenMemory);
    }

    private static void WriteIfSet(Utf8JsonWriter writer, ReadOnlySpan<byte> name, bool isSet, string value)
    {
        if (isSet)
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>An unknown enum number is written as its digits, so the REST rule refuses it by value ("must be \"male\" or \"female\", not \"7\"").</summary>
    private static void WriteGender(Utf8JsonWriter writer, Proto.Gender gender) =>
        writer.WriteString("gender"u8, gender switch
        {
            Proto.Gender.Male => "male",
            Proto.Gender.Female => "female",
            Proto.Gender.Unspecified => "GENDER_UNSPECIFIED",
            _ => ((int)gender).ToString(CultureInfo.InvariantCulture),
        });

    public static Proto.Citizen ToMessage(Citizen citizen)
    {
        var message = new Proto.Citizen
        {
            CitizenId = citizen.CitizenId,
            Town = citizen.Town,
            Street = citizen.Street,
            Building = citizen.Building,
            Apartment = citizen.Apartment,
            Name = citizen.Name,
            BirthDate = CitizenJson.FormatDate(citizen.BirthDate),
            Gender = citizen.Gender == Gender.Male ? Proto.Gender.Male : Proto.Gender.Female,
        };
        message.Relatives.AddRange(citizen.Relatives);
        if (citizen.Friends is { } friends)
        {
            message.Friends = new Proto.CitizenIds();
            message.Friends.Ids.AddRange(friends);
        }
        if (citizen.Channel is { } channel)
        {
            message.Channel = channel;
        }
        return message;
    }
}
