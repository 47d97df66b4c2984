using System.Buffers;
using System.Collections;
using System.Text.Json;
using Analyzer.Web;

namespace Analyzer.Imports;

public static partial class CitizenJson
{
    /// <summary>
    /// Reads a POST /imports body citizen by citizen, so that the store can write each one to the database as it is
    /// read (parsing overlaps the COPY, and no list of the import's citizens is ever held: a 1,000,000-citizen body
    /// needs the body and little more). Each citizen is checked on its own as it is read, and the citizens are
    /// yielded while no error has been found; the checks across citizens (unique ids, mutual relatives and
    /// friends) can only run once all are read: <see cref="Complete"/>. The store commits only if it passes.
    /// <para>
    /// One <see cref="Utf8JsonReader"/> cannot live across <c>yield</c>s, so each step resumes a new one from the
    /// saved position and <see cref="JsonReaderState"/>.
    /// </para>
    /// </summary>
    public sealed class ImportReader(ReadOnlySequence<byte> body, DateOnly today, ValidationErrors errors) : IEnumerable<Citizen>
    {
        private enum Phase { Root, Properties, Citizens, Done }

        private readonly ImportLinks links = new();
        private readonly SeenIds ids = new();
        private bool idRepeated;
        private Phase phase = Phase.Root;
        private SequencePosition position = body.Start;
        private JsonReaderState state = new(JsonBody.ReaderOptions);
        private bool sawCitizens;
        private int index;
        private bool enumerated;

        /// <summary>The body's length in bytes.</summary>
        public long BodyBytes => body.Length;

        /// <summary>Whether any citizen named friends or channel: the import then has both on every citizen.</summary>
        public bool UsesFriendsOrChannels { get; private set; }

        /// <summary>The checks that need no database, on the whole body: well-formed JSON, valid text, an object at the root.</summary>
        public bool Start()
        {
            if (!JsonBody.Check(body, errors))
            {
                phase = Phase.Done;
                return false;
            }
            var reader = new Utf8JsonReader(body, JsonBody.ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                errors.Add("$", "the body must be a JSON object {\"citizens\": [...]}");
                phase = Phase.Done;
                return false;
            }
            position = body.GetPosition(reader.BytesConsumed);
            state = reader.CurrentState;
            phase = Phase.Properties;
            return true;
        }

        /// <summary>Reads what is left of the body and runs the checks across citizens; true when the import is valid.</summary>
        public bool Complete()
        {
            while (Next() is not null)
            {
                // Reading the rest is what validates it.
            }
            links.Check(errors);
            return errors.IsEmpty;
        }

        public IEnumerator<Citizen> GetEnumerator()
        {
            if (enumerated)
            {
                throw new InvalidOperationException("an import body is read once");
            }
            enumerated = true;
            while (Next() is { } citizen)
            {
                yield return citizen;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>
        /// The next valid citizen, or null when the citizens are all read — or when an error or a repeated id was
        /// found: the body is then read on (by <see cref="Complete"/>) only to report every error, and nothing more is
        /// yielded.
        /// </summary>
        private Citizen? Next()
        {
            if (phase is Phase.Root or Phase.Done)
            {
                phase = Phase.Done;
                return null;
            }
            var reader = new Utf8JsonReader(body.Slice(position), isFinalBlock: true, state);
            try
            {
                while (true)
                {
                    if (phase == Phase.Properties)
                    {
                        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
                        {
                            if (!sawCitizens)
                            {
                                errors.Add("citizens", "is required");
                            }
                            phase = Phase.Done;
                            return null;
                        }
                        var property = reader.GetString()!;
                        reader.Read();
                        if (property != "citizens")
                        {
                            errors.Add(property, "unknown field; the body has only \"citizens\"");
                            reader.Skip();
                        }
                        else if (sawCitizens)
                        {
                            errors.Add("citizens", "appears more than once");
                            reader.Skip();
                        }
                        else if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            sawCitizens = true;
                            errors.Add("citizens", "must be an array of citizens");
                            reader.Skip();
                        }
                        else
                        {
                            sawCitizens = true;
                            phase = Phase.Citizens;
                        }
                        continue;
                    }
                    if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
                    {
                        phase = Phase.Properties;
                        continue;
                    }
                    var citizen = index++;
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        errors.Add(JsonPath.CitizenPath(citizen), "must be an object");
                        reader.Skip();
                        links.Add(null, null, null);
                        continue;
                    }
                    var fields = ReadCitizen(ref reader, citizen, today, errors);
                    links.Add(fields.CitizenId, fields.Relatives, fields.Friends);
                    UsesFriendsOrChannels |= fields.NamesFriendsOrChannel;
                    if (errors.IsFull)
                    {
                        phase = Phase.Done;
                        return null;
                    }
                    // A repeated id would break the table's key before the checks across citizens report it.
                    idRepeated |= fields.CitizenId is { } id && !ids.Add(id);
                    if (errors.IsEmpty && !idRepeated)
                    {
                        return new Citizen(
                            fields.CitizenId!.Value, fields.Town!, fields.Street!, fields.Building!, fields.Apartment!.Value, fields.Name!,
                            fields.BirthDate!.Value, fields.Gender!.Value, fields.Relatives!, fields.Channel, fields.Friends);
                    }
                }
            }
            finally
            {
                position = body.GetPosition(reader.BytesConsumed, position);
                state = reader.CurrentState;
            }
        }
    }
}
