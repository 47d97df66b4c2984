using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Analyzer.Storage;

/// <summary>
/// What genuinely differs between PostgreSQL's and SQLite's SQL text: id-list parameters, JSON parameters,
/// row locks, NULL ordering, column types, how values are passed, and where dataset tables live. The
/// features write one statement each and ask the dialect for these pieces; nothing else asks which
/// database it talks to.
/// </summary>
public abstract partial class SqlDialect
{
    public static SqlDialect Postgres { get; } = new PostgresDialect();

    public static SqlDialect Sqlite { get; } = new SqliteDialect();

    /// <summary>The folder of this back end's migration scripts (Storage/Migrations/NAME).</summary>
    public abstract string Name { get; }

    /// <summary>"<paramref name="column"/> is one of the ids in <paramref name="parameter"/>" (see <see cref="AddIdList"/>).</summary>
    public abstract string InIdList(string column, string parameter);

    public void AddIdList(DbCommand command, string parameter, IReadOnlyList<int> ids) => command.AddParameter(parameter, IdListValue(ids));

    /// <summary>A parameter holding JSON text, as the type of a JSON column.</summary>
    public abstract string Json(string parameter);

    /// <summary>A list of ids stored in one column (a citizen's relatives): PostgreSQL <c>integer[]</c>, SQLite a JSON array as text.</summary>
    public abstract object IdListValue(IReadOnlyList<int> ids);

    /// <summary>SQL: the id list in <paramref name="column"/> is not empty.</summary>
    public abstract string IdListIsNotEmpty(string column);

    /// <summary>SQL for the id list in <paramref name="column"/> without the id in <paramref name="parameter"/>.</summary>
    public abstract string IdListWithout(string column, string parameter);

    /// <summary>SQL for the id list in <paramref name="column"/> with the id in <paramref name="parameter"/> added at its end (callers add only ids it lacks).</summary>
    public abstract string IdListWith(string column, string parameter);

    /// <summary>An id-list column's value in ascending order (lists are kept in the order written; readers sort), or null for NULL.</summary>
    public int[]? ReadIdList(DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }
        var ids = ReadStoredIdList(reader, ordinal);
        for (var i = 1; i < ids.Length; i++)
        {
            if (ids[i - 1] > ids[i])
            {
                Array.Sort(ids);
                break;
            }
        }
        return ids;
    }

    protected abstract int[] ReadStoredIdList(DbDataReader reader, int ordinal);

    /// <summary>Appended to ORDER BY col ASC|DESC so that NULLs sort as the smallest values on both back ends.</summary>
    public abstract string NullsAsSmallest(bool descending);

    /// <summary>Appended to a SELECT in a write transaction to lock the rows it reads until the transaction ends.</summary>
    public abstract string ForUpdate { get; }

    /// <summary>
    /// Put before a SELECT, in a transaction, whose ORDER BY is its table's primary key (after the key's equality terms):
    /// the rows are then read in the key's order, never sorted. PostgreSQL sorts an import's citizens otherwise, whatever
    /// its statistics (1,000,000 citizens imported since the last ANALYZE: 972 ms with 155 MB of temporary files against
    /// 393 ms in the index's order, by EXPLAIN ANALYZE) — for the transaction only (<c>SET LOCAL</c>). SQLite reads in key
    /// order anyway.
    /// </summary>
    public abstract string InKeyOrder { get; }

    /// <summary>Appended to a SELECT of a queue in a write transaction: lock the rows read and pass over rows other transactions hold (nothing on SQLite, whose writers take turns).</summary>
    public abstract string ForUpdateSkipLocked { get; }

    /// <summary>A value as a command parameter (SQLite keeps dates and timestamps as sortable text, booleans as 0/1).</summary>
    public abstract object ToParameter(object? value);

    /// <summary>The SQL name of a dataset's table, in the datasets' own namespace, which the service's tables never use.</summary>
    public abstract string DatasetTable(string name);

    // Column types and table options of CREATE TABLE.
    public abstract string Int64Type { get; }
    public abstract string DoubleType { get; }
    public abstract string BooleanType { get; }
    public abstract string DateType { get; }
    public abstract string TimestampType { get; }
    public abstract string TextType { get; }

    /// <summary>The definition of an <c>id</c> column numbered by the database.</summary>
    public abstract string IdentityKey(string column);

    /// <summary>A CHECK that keeps a boolean column boolean, where the type does not.</summary>
    public abstract string BooleanCheck(string column);

    /// <summary>Table options after CREATE TABLE's closing parenthesis.</summary>
    public abstract string TableOptions { get; }

    /// <summary>A parameter as a double precision value where its type cannot be inferred (a VALUES list).</summary>
    public abstract string Double(string parameter);

    /// <summary>The smaller of two numbers (PostgreSQL's LEAST, SQLite's two-argument min).</summary>
    public abstract string Least(string a, string b);

    /// <summary>
    /// CREATE INDEX on a dataset's table; <paramref name="definition"/> follows the table name (<c>("lat", "lon")</c>,
    /// <c>USING GIST (...)</c>). PostgreSQL names the index itself (unique within the datasets' schema); SQLite needs
    /// a name, made of the table's and <paramref name="suffix"/>.
    /// </summary>
    public abstract string CreateDatasetIndex(string dataset, string suffix, string definition);

    /// <summary>
    /// Quotes an identifier. Dataset and column names are normalised to <c>[a-z0-9_]</c> before they get
    /// here; anything else is a bug, not input, so it throws.
    /// </summary>
    public static string Quote(string identifier) =>
        SafeIdentifier().IsMatch(identifier)
            ? $"\"{identifier}\""
            : throw new ArgumentException($"'{identifier}' is not a normalised identifier", nameof(identifier));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SafeIdentifier();

    private sealed class PostgresDialect : SqlDialect
    {
        public override string Name => "postgres";
        public override string InIdList(string column, string parameter) => $"{column} = ANY({parameter})";
        public override string Json(string parameter) => $"CAST({parameter} AS jsonb)";
        public override object IdListValue(IReadOnlyList<int> ids) => ids as int[] ?? [.. ids];
        public override string IdListIsNotEmpty(string column) => $"cardinality({column}) > 0";
        public override string IdListWithout(string column, string parameter) => $"array_remove({column}, {parameter})";
        public override string IdListWith(string column, string parameter) => $"array_append({column}, {parameter})";
        protected override int[] ReadStoredIdList(DbDataReader reader, int ordinal) => reader.GetFieldValue<int[]>(ordinal);
        public override string NullsAsSmallest(bool descending) => descending ? " NULLS LAST" : " NULLS FIRST";
        public override string ForUpdate => " FOR UPDATE";
        public override string InKeyOrder => "SET LOCAL enable_sort = off; ";
        public override string ForUpdateSkipLocked => " FOR UPDATE SKIP LOCKED";
        // DateOnly.MinValue/MaxValue and DateTime(Offset).MinValue/MaxValue go as the dates they are (0001-01-01,
        // 9999-12-31), not as -infinity/infinity: Npgsql.DisableDateTimeInfinityConversions, set in Analyzer.csproj
        // (a process-wide switch Npgsql reads once). Binary COPY (BinaryCopyWriter) writes day and microsecond counts itself.
        public override object ToParameter(object? value) => value switch
        {
            null => DBNull.Value,
            DateTimeOffset timestamp => timestamp.ToUniversalTime(),
            _ => value,
        };
        /// <summary>The schema <c>datasets</c> (migration 0006).</summary>
        public override string DatasetTable(string name) => "\"datasets\"." + Quote(name);
        public override string Int64Type => "bigint";
        public override string DoubleType => "double precision";
        public override string BooleanType => "boolean";
        public override string DateType => "date";
        public override string TimestampType => "timestamptz";
        public override string TextType => "text";
        public override string IdentityKey(string column) => $"{column} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
        public override string BooleanCheck(string column) => "";
        public override string TableOptions => "";
        public override string Least(string a, string b) => $"LEAST({a}, {b})";
        public override string Double(string parameter) => $"CAST({parameter} AS double precision)";
        public override string CreateDatasetIndex(string dataset, string suffix, string definition) =>
            $"CREATE INDEX ON {DatasetTable(dataset)} {definition}";
    }

    private sealed class SqliteDialect : SqlDialect
    {
        public override string Name => "sqlite";
        public override string InIdList(string column, string parameter) => $"{column} IN (SELECT value FROM json_each({parameter}))";
        public override string Json(string parameter) => parameter;
        public override object IdListValue(IReadOnlyList<int> ids) => FormatIdList(ids);
        public override string IdListIsNotEmpty(string column) => $"{column} <> '[]'";
        public override string IdListWithout(string column, string parameter) =>
            $"(SELECT json_group_array(value) FROM json_each({column}) WHERE value <> {parameter})";
        public override string IdListWith(string column, string parameter) => $"json_insert({column}, '$[#]', {parameter})";
        protected override int[] ReadStoredIdList(DbDataReader reader, int ordinal) => ParseIdList(reader.GetString(ordinal));
        public override string NullsAsSmallest(bool descending) => ""; // SQLite's own order
        public override string ForUpdate => ""; // the write transaction (BEGIN IMMEDIATE) already excludes every other writer
        public override string InKeyOrder => "";
        public override string ForUpdateSkipLocked => "";
        public override object ToParameter(object? value) => value switch
        {
            null => DBNull.Value,
            DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            DateTimeOffset timestamp => FormatTimestamp(timestamp),
            bool flag => flag ? 1L : 0L,
            _ => value,
        };
        /// <summary>
        /// SQLite has no schemas within one file (an attached file would make an upload's table and its catalog
        /// entry two commits), so the namespace is a name prefix that no table of the service can have: the
        /// table of dataset <c>airports</c> is <c>"datasets.airports"</c>, the dot part of the one identifier.
        /// </summary>
        public override string DatasetTable(string name) => Quote(name).Insert(1, "datasets.");
        public override string Int64Type => "INTEGER";
        public override string DoubleType => "REAL";
        public override string BooleanType => "INTEGER";
        public override string DateType => "TEXT"; // YYYY-MM-DD, sorts as text
        public override string TimestampType => "TEXT"; // ISO 8601 in UTC, sorts as text
        public override string TextType => "TEXT";
        public override string IdentityKey(string column) => $"{column} INTEGER PRIMARY KEY AUTOINCREMENT";
        public override string BooleanCheck(string column) => $" CHECK ({column} IN (0, 1))";
        /// <summary>STRICT: SQLite checks every value against the column's type, as PostgreSQL does.</summary>
        public override string TableOptions => " STRICT";
        public override string Least(string a, string b) => $"min({a}, {b})";
        public override string Double(string parameter) => parameter;
        public override string CreateDatasetIndex(string dataset, string suffix, string definition) =>
            $"CREATE INDEX {Quote(suffix).Insert(1, $"datasets.{dataset}.")} ON {DatasetTable(dataset)} {definition}";
    }

    /// <summary>Ids as SQLite stores an id list: a JSON array of integers, <c>[1,2,3]</c>.</summary>
    public static string FormatIdList(IReadOnlyList<int> ids)
    {
        var text = new System.Text.StringBuilder(2 + (ids.Count * 6));
        text.Append('[');
        for (var i = 0; i < ids.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            text.Append(ids[i]);
        }
        return text.Append(']').ToString();
    }

    /// <summary>
    /// Reads what <see cref="FormatIdList"/> and SQLite's JSON functions write (non-negative integers, commas,
    /// optional spaces): hand-written, as a JSON parser would allocate a document per citizen read.
    /// </summary>
    public static int[] ParseIdList(string text)
    {
        var span = text.AsSpan();
        if (span.Length <= 2)
        {
            return []; // "[]", the common case
        }
        var ids = new int[span.Count(',') + 1];
        var count = 0;
        var value = -1;
        foreach (var c in span)
        {
            if (char.IsAsciiDigit(c))
            {
                value = (Math.Max(value, 0) * 10) + (c - '0');
            }
            else if (value >= 0)
            {
                ids[count++] = value;
                value = -1;
            }
        }
        return count == ids.Length ? ids : ids[..count];
    }

    /// <summary>A timestamp as SQLite stores it: UTC, ISO 8601 with 7 fraction digits, so text order is time order.</summary>
    public static string FormatTimestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
