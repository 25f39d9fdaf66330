#!/usr/bin/env bash
# Installs the NoSQL servers the connector tests run against; safe to run again.
#
#   FerretDB v1.24 (MongoDB wire protocol, SQLite backend): built from tests/servers/ferretdb
#     with the Go toolchain into .clew/cache/ferretdb; rebuilt only when its sources change.
#   Elasticsearch 8 (the integ-test distribution from Maven Central, no bundled JDK): resolved
#     into Maven's local repository (the download cache) and unpacked into .clew/cache.
#   The system user `clew-es`: Elasticsearch refuses to run as root.
#   The compose-spec JSON schema (compose-go, pinned in tests/servers/compose-spec/go.mod).
#
# Needs: go, java 17, mvn, unzip, useradd (root for the user; skipped with a warning otherwise).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${CLEW_CACHE_DIR:-$ROOT/.clew/cache}"
ES_VERSION="${CLEW_ES_VERSION:-8.19.3}"
ES_USER="clew-es"
# Pinned as in graph_api/neo4j_local/pom.xml: without a pom, Maven picks its built-in default.
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.11.0"
FERRET_SRC="$ROOT/tests/servers/ferretdb"

log() { printf 'install_nosql: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { log "missing '$1': $2"; exit 1; }; }

mkdir -p "$CACHE"

build_ferretdb() {
    need go "install Go 1.24 or newer"
    local bin="$CACHE/ferretdb" stamp="$CACHE/ferretdb.stamp" want
    # The build is reproducible from these inputs; hashing them is cheaper than a 2-minute build.
    want="$(cd "$FERRET_SRC" && cat main.go go.mod go.sum | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
    if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        log "FerretDB is up to date ($bin)"
        return
    fi
    log "building FerretDB into $bin (first build takes a few minutes)"
    # -mod=readonly: go.sum is the committed source of truth; a missing hash fails the build.
    # -buildvcs=false: the work tree's git state is not part of this binary's identity.
    (cd "$FERRET_SRC" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$bin.tmp" .)
    mv "$bin.tmp" "$bin"
    printf '%s' "$want" >"$stamp"
}

fetch_elasticsearch() {
    need java "install OpenJDK 17 (apt-get install openjdk-17-jdk-headless)"
    need mvn "install Maven (apt-get install maven)"
    need unzip "install unzip (apt-get install unzip)"
    local home="$CACHE/elasticsearch-$ES_VERSION"
    if [[ -x "$home/bin/elasticsearch" ]]; then
        log "Elasticsearch $ES_VERSION is unpacked ($home)"
        return
    fi
    local gav="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
    log "resolving $gav from Maven Central (about 100 MB, cached in Maven's local repository)"
    local tmp
    tmp="$(mktemp -d "$CACHE/es-unpack.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    # Maven prints its errors on stdout: keep it quiet unless it fails.
    if ! mvn -B -q "$DEPENDENCY_PLUGIN:copy" -Dartifact="$gav" -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1; then
        cat "$tmp/mvn.log" >&2
        log "could not resolve $gav; set CLEW_ES_VERSION to another 8.x release to try it"
        exit 1
    fi
    unzip -q "$tmp/elasticsearch-$ES_VERSION.zip" -d "$tmp"
    # Readable by the unprivileged user; its writable dirs (config, data, logs) live elsewhere.
    chmod -R a+rX "$tmp/elasticsearch-$ES_VERSION"
    mv "$tmp/elasticsearch-$ES_VERSION" "$home"
    rm -rf "$tmp"
    trap - EXIT
    log "Elasticsearch $ES_VERSION unpacked into $home"
}

create_es_user() {
    if id "$ES_USER" >/dev/null 2>&1; then
        return
    fi
    if [[ "$(id -u)" != 0 ]]; then
        log "not root: cannot create user $ES_USER; Elasticsearch tests will run as $(id -un)"
        return
    fi
    need useradd "install passwd (apt-get install passwd)"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
    log "created system user $ES_USER"
}

# The compose-spec JSON schema, from the compose-go module pinned in compose-spec/go.mod and
# checked against its go.sum, into Go's module cache (tests/test_compose.py reads it there).
fetch_compose_spec() {
    need go "install Go 1.24 or newer"
    (cd "$ROOT/tests/servers/compose-spec" && GOFLAGS="-mod=readonly" go mod download github.com/compose-spec/compose-go/v2)
}

build_ferretdb
fetch_elasticsearch
create_es_user
fetch_compose_spec
