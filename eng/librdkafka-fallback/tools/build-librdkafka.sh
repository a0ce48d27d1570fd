#!/usr/bin/env bash
# Builds librdkafka 2.15.1 from the source that ships in the npm package
# @confluentinc/kafka-javascript@1.10.1 and caches it as <cache-dir>/librdkafka.so.
# Called by the fallback librdkafka.redist package at build time; safe to run concurrently.
set -euo pipefail

cache_dir=${1:?usage: build-librdkafka.sh <cache-dir>}
npm_package='@confluentinc/kafka-javascript@1.10.1'
expected_version='0x020f01ff' # 2.15.1
target="$cache_dir/librdkafka.so"

fail() {
  # "error :" makes MSBuild's Exec report the line as a build error.
  echo "error : librdkafka fallback: $*" >&2
  exit 1
}

[ -f "$target" ] && exit 0
mkdir -p "$cache_dir" || fail "cannot create the cache folder $cache_dir (set LIBRDKAFKA_FALLBACK_CACHE to a writable folder)"

# Several MSBuild nodes may get here at once: one builds, the others wait for it.
exec 9>"$cache_dir/.lock"
flock 9
[ -f "$target" ] && exit 0

missing=()
command -v cc >/dev/null 2>&1 || missing+=("a C compiler (cc; Debian: build-essential)")
command -v make >/dev/null 2>&1 || missing+=("make (Debian: build-essential)")
command -v npm >/dev/null 2>&1 || missing+=("npm (Debian: npm)")
command -v tar >/dev/null 2>&1 || missing+=("tar")
printf '#include <openssl/ssl.h>\n' | cc -E -x c - >/dev/null 2>&1 || missing+=("OpenSSL headers (Debian: libssl-dev)")
printf '#include <zlib.h>\n' | cc -E -x c - >/dev/null 2>&1 || missing+=("zlib headers (Debian: zlib1g-dev)")
if [ ${#missing[@]} -gt 0 ]; then
  fail "cannot build librdkafka 2.15.1, missing: $(IFS=';'; echo "${missing[*]}"). Install them, or make nuget.org reachable so NuGet restores Confluent's librdkafka.redist 2.15.1."
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$cache_dir/build.log"
echo "librdkafka fallback: building librdkafka 2.15.1 from $npm_package (once per machine, about a minute; log: $log)"

(cd "$work" && npm pack --silent "$npm_package" >"$log" 2>&1) \
  || { tail -n 20 "$log" >&2; fail "npm pack $npm_package failed (is the npm registry reachable?)"; }
tar -xzf "$work"/*.tgz -C "$work"
src="$work/package/deps/librdkafka"
grep -q "RD_KAFKA_VERSION  *$expected_version" "$src/src/rdkafka.h" \
  || fail "$npm_package does not contain librdkafka 2.15.1 ($expected_version)"

jobs=$(nproc 2>/dev/null || echo 2)
(cd "$src" && ./configure --disable-gssapi --disable-curl --disable-sasl && make -j"$jobs" -C src librdkafka.so.1) >>"$log" 2>&1 \
  || { tail -n 30 "$log" >&2; fail "compiling librdkafka failed; see $log"; }

cp "$src/src/librdkafka.so.1" "$target.tmp.$$"
mv -f "$target.tmp.$$" "$target"
echo "librdkafka fallback: built $target"
