#!/usr/bin/env bash
# Builds both release artefacts of the analyzer for linux-x64 into artifacts/, with their SHA-256 sums:
#   analyzer-VERSION-linux-x64-single-file.tar.gz          one self-contained executable (ReadyToRun), no .NET needed
#   analyzer-VERSION-linux-x64-framework-dependent.tar.gz  needs the ASP.NET Core 10 runtime on the machine
#   SHA256SUMS                                              check with: (cd artifacts && sha256sum -c SHA256SUMS)
# Usage: deploy/release.sh [VERSION]   (default 1.0.0; the commit comes from git, or "unknown" without it)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-1.0.0}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
out=artifacts
rm -rf "$out"
mkdir -p "$out"
for profile in single-file framework-dependent; do
  dir="$out/publish/$profile"
  dotnet publish src/Analyzer/Analyzer.csproj -nologo -p:PublishProfile="$profile" -p:Version="$version" \
    -p:SourceRevisionId="$commit" -o "$dir"
  # The service alone: nothing of the tests or the benchmarks may be in it.
  if find "$dir" -iname '*test*' -o -iname '*bench*' -o -iname 'xunit*' | grep -q .; then
    echo "release: $dir holds test or benchmark files" >&2
    exit 1
  fi
  tar -C "$dir" -czf "$out/analyzer-$version-linux-x64-$profile.tar.gz" .
done
"$out/publish/single-file/analyzer" --version
(cd "$out" && sha256sum -- *.tar.gz > SHA256SUMS && cat SHA256SUMS)
