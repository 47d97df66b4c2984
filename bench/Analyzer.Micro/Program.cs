using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Analyzer.Micro -- --filter '*'   (see docs/benchmarks.md)
BenchmarkSwitcher.FromAssembly(typeof(Analyzer.Micro.ImportBenchmarks).Assembly).Run(args);
