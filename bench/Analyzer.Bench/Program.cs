using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Analyzer.Bench;

// /proc, signals, runuser and PostgreSQL's binaries: the bench runs on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

return await BenchCli.InvokeAsync(args);

namespace Analyzer.Bench
{
    /// <summary>
    /// <c>analyzer-bench workflow|scale|csv-load|floors|wrk|geo|fuzz|soak|gen-csv|kill-trials|events</c>: load benchmarks of the service over HTTP, against a
    /// given URL or a service started here (--start sqlite|postgres). See docs/benchmarks.md.
    /// </summary>
    public static partial class BenchCli
    {
        public static Task<int> InvokeAsync(string[] args)
        {
            var parse = Create().Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors)
                {
                    Console.Error.WriteLine($"analyzer-bench: {error.Message}");
                }
                Console.Error.WriteLine("analyzer-bench: see 'analyzer-bench --help'");
                return Task.FromResult(ExitCodes.Usage);
            }
            return parse.InvokeAsync();
        }

        public static RootCommand Create() => new("Benchmarks of the Analyzer service over HTTP (see docs/benchmarks.md)")
        {
            WorkflowCommand(),
            GrpcWorkflowCommand(),
            ScaleCommand(),
            CsvLoadCommand(),
            FloorsCommand(),
            WrkCommand(),
            GeoCommand(),
            GenCsvCommand(),
            FuzzCommand(),
            SoakCommand(),
            KillTrialsCommand(),
            EventsCommand(),
        };

        /// <summary>
        /// --base-url or --start, and what goes with them; or, for a verb that always starts the service, the back end
        /// from the verb's own option (<see cref="Started"/>) and the options of the service it starts.
        /// </summary>
        private sealed class TargetOptions
        {
            private readonly Option<string>? backendOption;
            private readonly string? fixedBackend;

            public TargetOptions()
            {
            }

            private TargetOptions(Option<string>? backend, string? fixedBackend, long maxBodyBytes)
            {
                (backendOption, this.fixedBackend) = (backend, fixedBackend);
                MaxBodyBytes.DefaultValueFactory = _ => maxBodyBytes;
            }

            /// <summary>Always starts the service: on the back end of <paramref name="backend"/> (an option of the verb) or <paramref name="fixedBackend"/>.</summary>
            public static TargetOptions Started(Option<string>? backend = null, string? fixedBackend = null, long maxBodyBytes = 1L << 30) =>
                new(backend, fixedBackend, maxBodyBytes);

            private bool StartsAlways => backendOption is not null || fixedBackend is not null;

            public Option<Uri?> BaseUrl { get; } = new("--base-url")
            {
                Description = "The service to measure (only this URL is ever called), e.g. http://127.0.0.1:8080",
                CustomParser = result =>
                {
                    var text = result.Tokens[0].Value;
                    if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                    {
                        return uri;
                    }
                    result.AddError($"'{text}' is not an http:// or https:// URL");
                    return null;
                },
            };

            public Option<string?> Start { get; } = new Option<string?>("--start")
            {
                Description = "Start the service here instead (Release build output, a free loopback port): sqlite, or postgres with a throwaway cluster",
            }.AcceptOnlyFromAmong("sqlite", "postgres");

            public Option<Uri?> GrpcUrl { get; } = new("--grpc-url")
            {
                Description = "With --base-url: the service's gRPC API (h2c), e.g. http://127.0.0.1:8081 (grpc-workflow needs it)",
            };

            public Option<int?> ServerPid { get; } = new("--server-pid") { Description = "With --base-url: the pid of that server on this machine, for its memory and CPU" };

            public Option<string?> ServerDll { get; } = ServerDllOption();

            public Option<string> ServerLogLevel { get; } = new("--server-log-level") { Description = "With a service started here: its --log-level", DefaultValueFactory = _ => "Warning" };

            public Option<long> MaxBodyBytes { get; } = new("--max-request-body-bytes")
            {
                Description = "With a service started here: its --max-request-body-bytes and --max-upload-bytes",
                DefaultValueFactory = _ => 1L << 30,
            };

            public Option<string?> Postgis { get; } = new Option<string?>("--postgis")
            {
                Description = "With a service started here on PostgreSQL: its --postgis (auto: PostGIS when installed; off: the bounding-box and haversine fallback)",
            }.AcceptOnlyFromAmong("auto", "off");

            public Option<int?> CitizenCacheMb { get; } = new("--citizen-cache-mb")
            {
                Description = "With a service started here: its --citizen-cache-mb (0: imports are never held in memory; default: the service's)",
            };

            public void AddTo(Command command)
            {
                command.Options.Add(Postgis);
                command.Options.Add(CitizenCacheMb);
                if (backendOption is not null)
                {
                    command.Options.Add(backendOption);
                }
                if (!StartsAlways)
                {
                    command.Options.Add(BaseUrl);
                    command.Options.Add(Start);
                    command.Options.Add(ServerPid);
                    command.Options.Add(GrpcUrl);
                }
                command.Options.Add(ServerDll);
                command.Options.Add(ServerLogLevel);
                command.Options.Add(MaxBodyBytes);
                if (StartsAlways)
                {
                    return;
                }
                command.Validators.Add(result =>
                {
                    var hasUrl = result.GetValue(BaseUrl) is not null;
                    var hasStart = result.GetValue(Start) is not null;
                    if (hasUrl == hasStart)
                    {
                        result.AddError("give either --base-url URL or --start sqlite|postgres");
                    }
                    if (hasStart && result.GetValue(ServerPid) is not null)
                    {
                        result.AddError("--server-pid goes with --base-url; with --start the bench knows the pid");
                    }
                });
            }

            /// <param name="serviceArguments">More options for a service started here (e.g. the Kafka relay's).</param>
            public async Task<Target> OpenAsync(ParseResult parse, IReadOnlyList<string>? serviceArguments, CancellationToken cancellationToken)
            {
                var backend = fixedBackend ?? (backendOption is not null ? parse.GetValue(backendOption) : parse.GetValue(Start));
                if (backend is null)
                {
                    return Target.External(parse.GetValue(BaseUrl)!, parse.GetValue(ServerPid), Console.Out, parse.GetValue(GrpcUrl));
                }
                string[] postgis = parse.GetValue(Postgis) is { } mode ? ["--postgis", mode] : [];
                string[] citizenCache = parse.GetValue(CitizenCacheMb) is { } mb ? ["--citizen-cache-mb", mb.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
                return await Target.StartAsync(backend, parse.GetValue(ServerDll), parse.GetValue(MaxBodyBytes), parse.GetValue(ServerLogLevel)!, Console.Out,
                    cancellationToken, [.. postgis, .. citizenCache, .. serviceArguments ?? []]);
            }
        }

        /// <summary>
        /// --server-dll: made absolute against the current directory (the service runs in a directory of its own), and
        /// refused with a one-line error when the file does not exist.
        /// </summary>
        private static Option<string?> ServerDllOption() => new("--server-dll")
        {
            Description = "With a service started here: the analyzer.dll to run (default: src/Analyzer/bin/Release/net10.0/analyzer.dll, built if missing)",
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                var path = Path.GetFullPath(text);
                if (!File.Exists(path))
                {
                    result.AddError($"--server-dll: {path} does not exist");
                }
                return path;
            },
        };

        private static Command WorkflowCommand()
        {
            var target = new TargetOptions();
            var citizens = Positive("--citizens", "Citizens per import", 10_000);
            var relations = NonNegative("--relations", "Relation pairs per import", 1_000);
            var rounds = Positive("--rounds", "Workflows to run (each with its own import)", 10);
            var concurrency = Positive("--concurrency", "Clients running workflows at the same time", 1);
            var seed = new Option<long>("--seed") { Description = "Seed of the generated imports (round r uses seed + r)", DefaultValueFactory = _ => 1 };
            var textLength = TextLength();
            var warmup = NonNegative("--warmup", "Unmeasured workflows first, so that the server's JIT has optimised its code (the first also checks the answers' shape)", 60);
            var timeLimit = Duration("--time-limit", "Stop starting rounds, and cancel requests in flight, after this long (e.g. 120s, 2m)", TimeSpan.FromSeconds(120));
            var links = new Option<bool>("--links") { Description = "Give every citizen a channel and friends (as many pairs as --relations), the optional fields of issue 11" };
            var command = new Command("workflow", "POST an import, GET its citizens, PATCH citizen 1, GET birthdays, percentiles, courses and demand; per-endpoint latencies and workflows/s")
            {
                citizens, relations, rounds, concurrency, seed, textLength, warmup, timeLimit, links,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => Workflow.RunAsync(t,
                new WorkflowOptions(parse.GetValue(citizens), parse.GetValue(relations), parse.GetValue(rounds), parse.GetValue(concurrency),
                    parse.GetValue(seed), parse.GetValue(textLength), parse.GetValue(warmup), parse.GetValue(timeLimit), parse.GetValue(links)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command KillTrialsCommand()
        {
            var trials = Positive("--trials", "Trials: kill -9 in the middle of an import, PATCHes, a CSV upload, a confirmation or a replace, in turn", 50);
            var backend = new Option<string>("--backend") { Description = "sqlite, or postgres with a throwaway cluster", DefaultValueFactory = _ => "sqlite" }
                .AcceptOnlyFromAmong("sqlite", "postgres");
            var seed = new Option<int>("--seed") { Description = "Seed of the kill delays and generated data", DefaultValueFactory = _ => 1 };
            var serverDll = ServerDllOption();
            var command = new Command("kill-trials", "kill -9 the service mid-write, restart it and check the database by SQL after each trial (see docs/reliability.md)")
            {
                trials, backend, seed, serverDll,
            };
            command.SetAction((parse, cancellationToken) => GuardAsync(() => KillTrialsRun.RunAsync(parse.GetValue(backend)!, parse.GetValue(trials), parse.GetValue(seed),
                parse.GetValue(serverDll), Console.Out, cancellationToken), cancellationToken));
            return command;
        }

        private static Command GrpcWorkflowCommand()
        {
            var target = new TargetOptions();
            var citizens = Positive("--citizens", "Citizens per import", 10_000);
            var relations = NonNegative("--relations", "Relation pairs per import", 1_000);
            var rounds = Positive("--rounds", "Workflows per protocol (each with its own import)", 10);
            var seed = new Option<long>("--seed") { Description = "Seed of the generated imports (round r uses seed + r)", DefaultValueFactory = _ => 1 };
            var warmup = NonNegative("--warmup", "Unmeasured workflows per protocol first (the first checks that both protocols store the same citizens)", 30);
            var batch = Positive("--batch", "Citizens per ImportCitizens message", 1_000);
            var timeLimit = Duration("--time-limit", "Stop starting rounds after this long (e.g. 300s, 5m)", TimeSpan.FromMinutes(5));
            var command = new Command("grpc-workflow", "The workflow over REST and over gRPC, round by round alternately, on one service: medians and bytes per step")
            {
                citizens, relations, rounds, seed, warmup, batch, timeLimit,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => GrpcWorkflow.RunAsync(t,
                new GrpcWorkflowOptions(parse.GetValue(citizens), parse.GetValue(relations), parse.GetValue(rounds), parse.GetValue(seed),
                    parse.GetValue(warmup), parse.GetValue(batch), parse.GetValue(timeLimit)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command ScaleCommand()
        {
            var target = new TargetOptions();
            var sizes = new Option<int[]>("--sizes")
            {
                Description = "Import sizes, comma separated (relations = size / 10)",
                DefaultValueFactory = _ => [1_000, 10_000, 100_000],
                CustomParser = result =>
                {
                    var parts = string.Join(',', result.Tokens.Select(t => t.Value)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var values = new List<int>();
                    foreach (var part in parts)
                    {
                        if (int.TryParse(part.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 8)
                        {
                            values.Add(value);
                        }
                        else
                        {
                            result.AddError($"'{part}' is not a size of at least 8 citizens");
                        }
                    }
                    return [.. values];
                },
            };
            var repeat = Positive("--repeat", "Timings of each endpoint per size (the median is shown); the POST of 1,000,000 citizens or more is timed once", 3);
            var seed = new Option<long>("--seed") { Description = "Seed of the generated imports", DefaultValueFactory = _ => 1 };
            var textLength = TextLength();
            var warmup = NonNegative("--warmup", "Unmeasured workflows first, of the largest size up to 10,000 citizens", 60);
            var timeLimit = Duration("--time-limit", "Stop after this long in all (e.g. 30m)", TimeSpan.FromMinutes(30));
            var analyze = new Option<bool>("--analyze") { Description = "PostgreSQL: run ANALYZE after the warm-up, so that the imports measured are newer than the statistics (the plan-collapse scenario)" };
            var command = new Command("scale", "One import of each size; each endpoint's time, the server's peak RSS, and growth against the smallest size")
            {
                sizes, repeat, seed, textLength, warmup, timeLimit, analyze,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => Scale.RunAsync(t,
                new ScaleOptions(parse.GetValue(sizes)!, parse.GetValue(repeat), parse.GetValue(seed), parse.GetValue(textLength), parse.GetValue(warmup), parse.GetValue(timeLimit), parse.GetValue(analyze)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command CsvLoadCommand()
        {
            var target = new TargetOptions();
            var file = new Option<FileInfo>("--file") { Description = "The CSV file to upload", Required = true }.AcceptExistingOnly();
            var name = new Option<string?>("--name") { Description = "Dataset name (default: from the file name)" };
            var header = new Option<bool?>("--header") { Description = "Whether the first line is a header (the service's default: true)" };
            var nullMarker = new Option<string?>("--null") { Description = "The service's null= marker, e.g. \\N" };
            var columns = new Option<string?>("--columns") { Description = "The service's columns= list, comma separated" };
            var delimiter = new Option<string?>("--delimiter") { Description = "The service's delimiter= (default: detected)" };
            var repeat = Positive("--repeat", "Uploads (mode=replace)", 1);
            var timeLimit = Duration("--time-limit", "Time limit of each upload", TimeSpan.FromMinutes(10));
            var command = new Command("csv-load", "Upload a CSV to POST /datasets (text/csv); time and the server's peak RSS")
            {
                file, name, header, nullMarker, columns, delimiter, repeat, timeLimit,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => CsvLoad.RunAsync(t,
                new CsvLoadOptions(parse.GetValue(file)!.FullName, parse.GetValue(name), parse.GetValue(header), parse.GetValue(nullMarker),
                    parse.GetValue(columns), parse.GetValue(delimiter), parse.GetValue(repeat), parse.GetValue(timeLimit)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command FloorsCommand()
        {
            var target = new TargetOptions();
            var citizens = Positive("--citizens", "Citizens in the import", 10_000);
            var relations = NonNegative("--relations", "Relation pairs", 1_000);
            var seed = new Option<long>("--seed") { Description = "Seed of the generated import", DefaultValueFactory = _ => 1 };
            var textLength = TextLength();
            var repeat = Positive("--repeat", "Repetitions of each measure (medians)", 10);
            var warmup = NonNegative("--warmup", "Unmeasured POSTs of the body first", 60);
            var pgUrl = new Option<string?>("--pg-url") { Description = "With --base-url: that service's PostgreSQL database (postgresql://...), for psql" };
            var timeLimit = Duration("--time-limit", "Time limit of each POST", TimeSpan.FromMinutes(2));
            var command = new Command("floors", "The floors under POST /imports: parsing the body only, and psql \\copy of the same rows; the POST's ratio to their sum")
            {
                citizens, relations, seed, textLength, repeat, warmup, pgUrl, timeLimit,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => Floors.RunAsync(t,
                new FloorsOptions(parse.GetValue(citizens), parse.GetValue(relations), parse.GetValue(seed), parse.GetValue(textLength),
                    parse.GetValue(repeat), parse.GetValue(warmup), parse.GetValue(pgUrl), parse.GetValue(timeLimit)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command WrkCommand()
        {
            var target = new TargetOptions();
            var citizens = Positive("--citizens", "Citizens in the import", 10_000);
            var relations = NonNegative("--relations", "Relation pairs", 1_000);
            var seed = new Option<long>("--seed") { Description = "Seed of the generated import", DefaultValueFactory = _ => 1 };
            var endpoint = new Option<string>("--endpoint") { Description = "The GET to load: birthdays, percentiles, citizens, courses or demand", DefaultValueFactory = _ => "birthdays" }
                .AcceptOnlyFromAmong(Wrk.Endpoints);
            var threads = Positive("--threads", "wrk -t", 2);
            var connections = Positive("--connections", "wrk -c", 64);
            var duration = Duration("--duration", "wrk -d (whole seconds)", TimeSpan.FromSeconds(10));
            var warmup = Duration("--warmup", "A wrk run this long first, not reported: the service's JIT optimises the code that serves many connections at once (0: none)", TimeSpan.FromSeconds(20), zeroAllowed: true);
            var command = new Command("wrk", "Store one import, then run wrk (Debian package) on one of its GET endpoints")
            {
                citizens, relations, seed, endpoint, threads, connections, duration, warmup,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => Wrk.RunAsync(t,
                new WrkOptions(parse.GetValue(citizens), parse.GetValue(relations), parse.GetValue(seed), parse.GetValue(endpoint)!,
                    parse.GetValue(threads), parse.GetValue(connections), parse.GetValue(duration), parse.GetValue(warmup)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command GeoCommand()
        {
            var target = new TargetOptions();
            var airports = new Option<FileInfo?>("--airports") { Description = "airports.dat (default: examples/airports.dat of the repository)" };
            var citizens = Positive("--citizens", "Citizens of the import (in the generator's 20 towns)", 10_000);
            var nearKm = new Option<double>("--near-km") { Description = "The radius of the near= searches", DefaultValueFactory = _ => 83 };
            var townsKm = new Option<double>("--towns-km") { Description = "The radius of towns/airports", DefaultValueFactory = _ => 100 };
            var repeat = Positive("--repeat", "Measured requests of each kind", 200);
            var warmup = NonNegative("--warmup", "Unmeasured requests of each kind first", 100);
            var command = new Command("geo", "Upload airports.dat (plus a row per town of the generated import), then time GET rows?near= around airports and GET towns/airports (by town and by airport)")
            {
                airports, citizens, nearKm, townsKm, repeat, warmup,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => Geo.RunAsync(t,
                new GeoOptions(parse.GetValue(airports)?.FullName, parse.GetValue(citizens), parse.GetValue(nearKm), parse.GetValue(townsKm),
                    parse.GetValue(repeat), parse.GetValue(warmup)),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command FuzzCommand()
        {
            var cases = Positive("--cases", "Fuzz cases to send", 1_000_000);
            var seed = new Option<ulong>("--seed") { Description = "Seed of the first chunk of cases (the test suite's is 20261201)", DefaultValueFactory = _ => 20261201 };
            var start = new Option<string>("--start") { Description = "The back end of the service started here", DefaultValueFactory = _ => "sqlite" }.AcceptOnlyFromAmong("sqlite", "postgres");
            var target = TargetOptions.Started(start, maxBodyBytes: 128L * 1024 * 1024);
            var command = new Command("fuzz", "Send the test suite's fuzz cases (mutated bodies, CSVs, query strings, headers, tokens) to a service started here; "
                + "fails on any 5xx, any 4xx that is not problem+json or that changed the database")
            {
                cases, seed,
            };
            target.AddTo(command);
            command.SetAction(async (parse, cancellationToken) =>
            {
                using var keys = new FuzzKeys();
                return await RunAsync(target, parse, cancellationToken, t => Fuzz.RunAsync(t, keys, parse.GetValue(cases), parse.GetValue(seed), Console.Out, cancellationToken),
                    keys.ServiceArguments);
            });
            return command;
        }

        private static Command SoakCommand()
        {
            var minutes = new Option<double>("--minutes") { Description = "How long the clients run workflows", DefaultValueFactory = _ => 10 };
            minutes.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<double>() is not (> 0 and <= 24 * 60))
                {
                    result.AddError("--minutes must be more than 0 and at most 1440");
                }
            });
            var clients = Positive("--clients", "Clients running workflows at the same time", 4);
            var backend = new Option<string>("--backend") { Description = "The service's database: a throwaway PostgreSQL cluster or a SQLite file", DefaultValueFactory = _ => "postgres" }
                .AcceptOnlyFromAmong("postgres", "sqlite");
            var citizens = Positive("--citizens", "Citizens per import", 1_000);
            var relations = NonNegative("--relations", "Relation pairs (and as many friend pairs) per import", 100);
            var seed = new Option<long>("--seed") { Description = "Seed of the generated imports (round r uses seed + r)", DefaultValueFactory = _ => 1 };
            var warmup = NonNegative("--warmup", "Workflows before the soak starts (the first checks the answers' shape)", 10);
            var sampleSeconds = Positive("--sample-seconds", "Seconds between samples of the server's RSS and PostgreSQL's connections", 5);
            var target = TargetOptions.Started(backend);
            var command = new Command("soak", "Clients run the workflow (and delete its import) for minutes against a service started here: errors (must be 0), "
                + "the server's RSS and its slope, PostgreSQL's connections")
            {
                minutes, clients, citizens, relations, seed, warmup, sampleSeconds,
            };
            target.AddTo(command);
            command.SetAction((parse, cancellationToken) => RunAsync(target, parse, cancellationToken, t => Soak.RunAsync(t,
                new SoakOptions(TimeSpan.FromMinutes(parse.GetValue(minutes)), parse.GetValue(clients), parse.GetValue(citizens), parse.GetValue(relations),
                    parse.GetValue(seed), parse.GetValue(warmup), TimeSpan.FromSeconds(parse.GetValue(sampleSeconds))),
                Console.Out, cancellationToken)));
            return command;
        }

        private static Command EventsCommand()
        {
            var events = Positive("--events", "Events written into the outbox per round", 200_000);
            var rounds = Positive("--rounds", "Rounds (the median is reported)", 3);
            var target = TargetOptions.Started(fixedBackend: "postgres");
            var command = new Command("events", "Events per second the Kafka relay publishes to a librdkafka mock cluster (the service on a throwaway PostgreSQL)")
            {
                events, rounds,
            };
            target.AddTo(command);
            command.SetAction(async (parse, cancellationToken) =>
            {
                using var kafka = EventsRelay.StartCluster();
                return await RunAsync(target, parse, cancellationToken, t => EventsRelay.RunAsync(t, parse.GetValue(events), parse.GetValue(rounds), Console.Out, cancellationToken),
                    ["--kafka-bootstrap-servers", kafka.BootstrapServers]);
            });
            return command;
        }

        private static Command GenCsvCommand()
        {
            var rows = Positive("--rows", "Data rows", 1_000_000);
            var output = new Option<FileInfo>("--out") { Description = "The file to write", Required = true };
            var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 42 };
            var command = new Command("gen-csv", "Write a test CSV: 10 columns of every inferred type, quotes, commas and line breaks in fields, NULLs")
            {
                rows, output, seed,
            };
            command.SetAction(parse =>
            {
                var file = parse.GetValue(output)!;
                var started = DateTime.UtcNow;
                CsvGenerator.Write(file.FullName, parse.GetValue(rows), parse.GetValue(seed));
                file.Refresh();
                Console.WriteLine($"{file.FullName}: {parse.GetValue(rows):N0} rows, {Format.MbOfBytes(file.Length)} MB in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
                return 0;
            });
            return command;
        }

        /// <summary>Opens the target (starting the service with <paramref name="serviceArguments"/> when it starts one), runs the verb, stops the service.</summary>
        private static Task<int> RunAsync(TargetOptions options, ParseResult parse, CancellationToken cancellationToken, Func<Target, Task<int>> run,
            IReadOnlyList<string>? serviceArguments = null) =>
            GuardAsync(async () =>
            {
                var target = await options.OpenAsync(parse, serviceArguments, cancellationToken);
                await using (target)
                {
                    return await run(target);
                }
            }, cancellationToken);

        /// <summary>A verb's run with the bench's answers to its expected failures: a one-line error (exit 2), or "interrupted" (130).</summary>
        private static async Task<int> GuardAsync(Func<Task<int>> run, CancellationToken cancellationToken)
        {
            try
            {
                return await run();
            }
            catch (BenchException e)
            {
                await Console.Error.WriteLineAsync($"analyzer-bench: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("analyzer-bench: interrupted");
                return 130;
            }
        }

        private static Option<int> Positive(string name, string description, int fallback) => Bounded(name, description, fallback, 1);

        private static Option<int> NonNegative(string name, string description, int fallback) => Bounded(name, description, fallback, 0);

        private static Option<int> Bounded(string name, string description, int fallback, int minimum)
        {
            var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() < minimum)
                {
                    result.AddError($"{name} must be at least {minimum}");
                }
            });
            return option;
        }

        private static Option<int> TextLength()
        {
            var option = new Option<int>("--text-length")
            {
                Description = "Make every town, street, building and name exactly this many characters (16–256; 0: natural lengths)",
                DefaultValueFactory = _ => 0,
            };
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() is not 0 and (< 16 or > 256))
                {
                    result.AddError("--text-length must be 0 or 16 to 256");
                }
            });
            return option;
        }

        private static Option<TimeSpan> Duration(string name, string description, TimeSpan fallback, bool zeroAllowed = false) => new(name)
        {
            Description = description,
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (TryParseDuration(text, out var value) || (zeroAllowed && text == "0"))
                {
                    return value;
                }
                result.AddError($"'{text}' is not a duration such as 90, 90s, 2m, 1h30m");
                return fallback;
            },
        };

        /// <summary>Seconds (<c>90</c>) or a sum of numbers with units h, m, s, ms (<c>1h30m</c>, <c>120s</c>).</summary>
        public static bool TryParseDuration(string text, out TimeSpan value)
        {
            value = TimeSpan.Zero;
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            {
                value = TimeSpan.FromSeconds(seconds);
                return seconds > 0;
            }
            var match = DurationPattern().Match(text);
            if (!match.Success)
            {
                return false;
            }
            foreach (var capture in match.Groups["part"].Captures.Cast<Capture>())
            {
                var unit = capture.Value.TrimStart("0123456789.".ToCharArray());
                var number = double.Parse(capture.Value[..^unit.Length], CultureInfo.InvariantCulture);
                value += unit switch
                {
                    "h" => TimeSpan.FromHours(number),
                    "m" => TimeSpan.FromMinutes(number),
                    "s" => TimeSpan.FromSeconds(number),
                    _ => TimeSpan.FromMilliseconds(number),
                };
            }
            return value > TimeSpan.Zero;
        }

        [GeneratedRegex(@"^(?<part>[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+$")]
        private static partial Regex DurationPattern();
    }
}
