namespace Analyzer.Imports;

public static partial class CitizenJson
{
    /// <summary>
    /// What the checks across citizens need of an import (unique ids, lists of ids that exist and are mutual), kept
    /// for every citizen while its other fields go on to the database: flat int lists, about 4 bytes per citizen and 4
    /// per listed id, rather than an object and an array per citizen (a 1,000,000-citizen import held ~100 MB of
    /// them). The checks sort packed (id, id) pairs instead of filling hash sets, for the same reason.
    /// </summary>
    internal sealed class ImportLinks
    {
        /// <summary>Per citizen: its citizen_id, or -1 when missing or invalid (ids are 0 or more).</summary>
        private readonly List<int> ids = [];
        private readonly LinkLists relatives = new();
        private LinkLists? friends;

        public int Count => ids.Count;

        public void Add(int? citizenId, int[]? relativesOf, int[]? friendsOf)
        {
            if (friendsOf is not null && friends is null)
            {
                friends = new LinkLists();
                friends.AddAbsent(ids.Count);
            }
            ids.Add(citizenId ?? -1);
            relatives.Add(relativesOf);
            friends?.Add(friendsOf);
        }

        /// <summary>Unique citizen_ids; relatives and friends that exist in the import, once each, listed back.</summary>
        public void Check(ValidationErrors errors)
        {
            var byId = SortedIds();
            ReportRepeatedIds(byId, errors);
            CheckMutual(byId, relatives, "relatives", "relations", errors);
            if (friends is not null)
            {
                CheckMutual(byId, friends, "friends", "friendships", errors);
            }
        }

        /// <summary>(citizen_id, index) packed in a long per citizen with an id, sorted: a citizen_id's first citizen comes first.</summary>
        private long[] SortedIds()
        {
            var count = 0;
            foreach (var id in ids)
            {
                count += id >= 0 ? 1 : 0;
            }
            var byId = new long[count];
            count = 0;
            for (var i = 0; i < ids.Count; i++)
            {
                if (ids[i] >= 0)
                {
                    byId[count++] = Pack(ids[i], i);
                }
            }
            Array.Sort(byId);
            return byId;
        }

        private static void ReportRepeatedIds(long[] byId, ValidationErrors errors)
        {
            var repeated = new List<(int Index, int Id, int First)>();
            var runStart = 0;
            for (var k = 1; k < byId.Length; k++)
            {
                var (id, index) = Unpack(byId[k]);
                if (id != Unpack(byId[runStart]).High)
                {
                    runStart = k;
                    continue;
                }
                repeated.Add((index, id, Unpack(byId[runStart]).Low));
            }
            // Reported in the body's order, as a reader going through it finds them.
            repeated.Sort();
            foreach (var (index, id, first) in repeated)
            {
                errors.Add($"citizens[{index}].citizen_id", $"citizen_id {id} is already used by citizens[{first}]");
            }
        }

        /// <summary>The index of the first citizen with <paramref name="id"/>, or -1.</summary>
        private static int IndexOf(long[] byId, int id)
        {
            var at = Array.BinarySearch(byId, Pack(id, 0));
            if (at < 0)
            {
                at = ~at;
            }
            return at < byId.Length && Unpack(byId[at]).High == id ? Unpack(byId[at]).Low : -1;
        }

        /// <summary>
        /// One list (relatives or friends): ids in the import, once each, listed back. Only citizens whose id and list
        /// are valid take part in the mutuality check, so a broken list is reported once, at its own path, and not
        /// again as a missing pair elsewhere.
        /// </summary>
        private void CheckMutual(long[] byId, LinkLists lists, string field, string links, ValidationErrors errors)
        {
            var checkable = new bool[ids.Count];
            var pairCount = 0;
            for (var i = 0; i < ids.Count; i++)
            {
                if (ids[i] < 0 || !lists.IsPresent(i))
                {
                    continue;
                }
                var list = lists.Of(i);
                if (FirstRepeated(list) is { } repeated)
                {
                    errors.Add($"citizens[{i}].{field}", Repeated(repeated));
                    continue;
                }
                checkable[i] = true;
                pairCount += list.Length;
            }
            var pairs = new long[pairCount];
            pairCount = 0;
            for (var i = 0; i < ids.Count; i++)
            {
                if (checkable[i])
                {
                    foreach (var other in lists.Of(i))
                    {
                        pairs[pairCount++] = Pack(ids[i], other);
                    }
                }
            }
            Array.Sort(pairs);
            for (var i = 0; i < ids.Count && !errors.IsFull; i++)
            {
                if (ids[i] < 0 || !lists.IsPresent(i) || !checkable[i])
                {
                    continue;
                }
                var id = ids[i];
                foreach (var other in lists.Of(i))
                {
                    var otherIndex = IndexOf(byId, other);
                    if (otherIndex < 0)
                    {
                        errors.Add($"citizens[{i}].{field}", $"citizen {other} is not in this import");
                    }
                    else if (checkable[otherIndex] && Array.BinarySearch(pairs, Pack(other, id)) < 0)
                    {
                        errors.Add($"citizens[{i}].{field}",
                            $"lists citizen {other}, but citizen {other} (citizens[{otherIndex}]) does not list {id}: {links} must be mutual");
                    }
                }
            }
        }

        private static long Pack(int high, int low) => ((long)high << 32) | (uint)low;

        private static (int High, int Low) Unpack(long packed) => ((int)(packed >> 32), (int)packed);
    }

    /// <summary>One id list per citizen, all in one flat list; a citizen without a (valid) list has length -1.</summary>
    private sealed class LinkLists
    {
        private readonly List<int> lengths = [];
        private readonly List<int> starts = [];
        private readonly List<int> values = [];

        public void AddAbsent(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Add(null);
            }
        }

        public void Add(int[]? list)
        {
            starts.Add(values.Count);
            lengths.Add(list?.Length ?? -1);
            if (list is not null)
            {
                values.AddRange(list);
            }
        }

        public bool IsPresent(int index) => lengths[index] >= 0;

        public ReadOnlySpan<int> Of(int index) =>
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values).Slice(starts[index], lengths[index]);
    }

    /// <summary>
    /// The citizen_ids read so far, to stop streaming at the first repeated one (it would break the table's key before
    /// the checks across citizens report it): a bitmap for ids below 2^26 (at most 8 MB; imports number their citizens
    /// from 1 or so), a hash set for larger ones.
    /// </summary>
    private sealed class SeenIds
    {
        private const int BitmapLimit = 1 << 26;
        private ulong[] bits = new ulong[1024];
        private HashSet<int>? large;

        /// <summary>Adds <paramref name="id"/> (0 or more); false when it was there already.</summary>
        public bool Add(int id)
        {
            if (id >= BitmapLimit)
            {
                large ??= [];
                return large.Add(id);
            }
            var word = id >> 6;
            if (word >= bits.Length)
            {
                Array.Resize(ref bits, Math.Min(BitmapLimit >> 6, Math.Max(word + 1, bits.Length * 2)));
            }
            var mask = 1UL << (id & 63);
            if ((bits[word] & mask) != 0)
            {
                return false;
            }
            bits[word] |= mask;
            return true;
        }
    }
}
