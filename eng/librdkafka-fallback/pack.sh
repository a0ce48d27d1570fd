#!/usr/bin/env bash
# Re-packs eng/packages/librdkafka.redist.<version>.nupkg from this folder.
# Bump <version> in the nuspec whenever the content changes: NuGet caches packages by version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../packages"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/buildTransitive" "$here/tools" "$here/librdkafka.redist.nuspec" "$work/"
cat >"$work/pack.csproj" <<'PROJ'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
    <NuspecFile>librdkafka.redist.nuspec</NuspecFile>
    <NoBuild>true</NoBuild>
    <IncludeBuildOutput>false</IncludeBuildOutput>
    <Deterministic>true</Deterministic>
  </PropertyGroup>
</Project>
PROJ
rm -f "$out"/librdkafka.redist.*.nupkg
dotnet pack "$work/pack.csproj" -o "$out" --nologo -v q
ls "$out"
