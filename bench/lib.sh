# Shared by the bench scripts (sourced, not run): the engine knob, the release binaries,
# one-line results for bench/run.sh.
#
# Environment:
#   BENCH_DATABASE_URL   unset or "sqlite": a fresh SQLite file in the script's work folder
#                        (the default). sqlite://FILE: that file. postgres://USER@HOST/DB:
#                        a fresh database tessera_bench_<random> on that server, created
#                        through DB and dropped at exit.
#   BENCH_BIN, BENCH_PREP  prebuilt tessera and licensing_bench_prep binaries (bench/run.sh
#                        builds once and sets these); otherwise the script builds them.
#   BENCH_RESULTS        a file: each headline figure is appended as "label<TAB>value".

# Every script builds the same set (server + the licensing prep example): building them
# separately unifies features differently (the example pulls in dev-dependency features)
# and would rebuild shared crates back and forth between scripts.
bench_build() {
    if [[ -n "${BENCH_BIN:-}" ]]; then
        BIN=$BENCH_BIN
        PREP=${BENCH_PREP:-}
        return
    fi
    echo "== building release binaries" >&2
    cargo build --release -p tessera --bin tessera --example licensing_bench_prep >&2
    local target
    target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    BIN="$target/release/tessera"
    PREP="$target/release/examples/licensing_bench_prep"
}

# bench_db_setup WORK: sets ENGINE (sqlite|postgres), DB_URL, and SQLITE_FILE (SQLite only).
BENCH_PG_DB=
BENCH_PG_ADMIN=
bench_db_setup() {
    local work=$1 url=${BENCH_DATABASE_URL:-sqlite}
    case "$url" in
        sqlite)
            ENGINE=sqlite
            SQLITE_FILE="$work/data/tessera.db"
            mkdir -p "$work/data"
            DB_URL="sqlite://$SQLITE_FILE"
            ;;
        sqlite:*)
            ENGINE=sqlite
            SQLITE_FILE=${url#sqlite:}
            SQLITE_FILE=${SQLITE_FILE#//}
            SQLITE_FILE=${SQLITE_FILE%%\?*}
            DB_URL=$url
            ;;
        postgres://*|postgresql://*)
            ENGINE=postgres
            SQLITE_FILE=
            command -v psql >/dev/null || { echo "psql not found (apt-get install -y postgresql-client)" >&2; exit 1; }
            BENCH_PG_ADMIN=$url
            local name
            name="tessera_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
            psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_PG_ADMIN" -c "CREATE DATABASE $name" >&2
            BENCH_PG_DB=$name
            DB_URL=$(python3 - "$url" "$name" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))
PY
)
            echo "== fresh PostgreSQL database $name" >&2
            ;;
        *) echo "BENCH_DATABASE_URL must be sqlite, sqlite://FILE or postgres://...; got $url" >&2; exit 1 ;;
    esac
}

# Call from the script's EXIT trap, after the server has stopped.
bench_db_drop() {
    if [[ -n "$BENCH_PG_DB" ]]; then
        psql -X -q -d "$BENCH_PG_ADMIN" -c "DROP DATABASE IF EXISTS $BENCH_PG_DB WITH (FORCE)" >&2 || true
        BENCH_PG_DB=
    fi
}

# One value from the database: db_query "SELECT ...".
db_query() {
    if [[ "$ENGINE" == postgres ]]; then
        psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB_URL" -c "$1"
    else
        sqlite3 "$SQLITE_FILE" "$1"
    fi
}

# The tessera CLI on this run's database.
tessera() { "$BIN" --data-dir "$WORK/data" --database-url "$DB_URL" "$@"; }

# bench_result LABEL VALUE: a headline figure for bench/run.sh's table.
bench_result() {
    [[ -n "${BENCH_RESULTS:-}" ]] || return 0
    printf '%s\t%s\n' "$1" "$2" >>"$BENCH_RESULTS"
}

# Stop a background process we started and wait for it.
bench_stop() {
    local pid=$1
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Start `tessera serve` in the background on 127.0.0.1 (extra env as leading VAR=value
# words is the caller's business: pass them through `env`). Sets SERVE_PID and URL.
# Usage: bench_serve [serve args...]
bench_serve() {
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "${SERVE_ENV[@]}" "$BIN" --data-dir "$WORK/data" --database-url "$DB_URL" \
        serve --addr "127.0.0.1:$port" "$@" >"$WORK/serve.log" 2>"$WORK/serve.err" &
    SERVE_PID=$!
    for _ in $(seq 1 600); do
        grep -q "listening" "$WORK/serve.log" 2>/dev/null && break
        kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; SERVE_PID=; echo "tessera exited" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "listening" "$WORK/serve.log" || { echo "tessera did not start in 60 s" >&2; exit 1; }
    URL="http://127.0.0.1:$port"
}
SERVE_ENV=(env)
