#!/usr/bin/env bash
# Benchmark of directory sync (R-DIR1): a directory pushes USERS users and NGROUPS groups
# over SCIM 2.0, as Okta and Entra ID do, into a demo team.
#
#   bench/directory.sh [USERS] [GROUPS]      (default 10000 and 200; run from anywhere)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/directory.sh
#
# 1. Builds the release binaries (unless bench/run.sh did: BENCH_BIN).
# 2. Starts `tessera serve` on a fresh demo database and makes a token with
#    `tessera scim token create`.
# 3. The push, timed in phases, over keep-alive connections from CONCURRENCY (default 4)
#    threads, which is what the directories use: each user is looked up by
#    `filter=userName eq` and created (POST /Users); each group is looked up by
#    displayName and created empty (POST /Groups), then filled by PATCH in batches of
#    BATCH (default 50) members; every user is in exactly one group. Then 1% of the users
#    are deactivated (PATCH active false). Every answer's status is checked.
# 4. Checks the result in the database: the team's synced members and groups.
set -euo pipefail

USERS=${1:-10000}
NGROUPS=${2:-200}
CONCURRENCY=${CONCURRENCY:-4}
BATCH=${BATCH:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
SERVE_PID=
cleanup() {
    bench_stop "$SERVE_PID"
    bench_db_drop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_build
bench_db_setup "$WORK"
echo "== starting tessera on a demo database ($ENGINE)" >&2
bench_serve --demo-password bench-password-123
TOKEN=$(tessera scim token create --team "Harbor Engineering" --label bench --public-url "$URL" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

python3 - "$URL/scim/v2" "$TOKEN" "$USERS" "$NGROUPS" "$CONCURRENCY" "$BATCH" >"$WORK/push.txt" <<'PY'
import http.client, json, sys, threading, time, urllib.parse
from concurrent.futures import ThreadPoolExecutor
base, token, users, groups, conc, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
u = urllib.parse.urlsplit(base)
local = threading.local()
def call(method, path, body=None, want=(200, 201, 204)):
    if not hasattr(local, "c"):
        local.c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    local.c.request(method, u.path + path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = local.c.getresponse()
    data = r.read()
    if r.status not in want:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None
q = urllib.parse.quote
def user(i):
    name = f"person{i}@directory.example"
    found = call("GET", "/Users?filter=" + q(f'userName eq "{name}"'))
    assert found["totalResults"] == 0
    return call("POST", "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "externalId": f"ext-{i}", "name": {"givenName": "Person", "familyName": str(i)},
        "emails": [{"value": name, "type": "work", "primary": True}], "active": True})["id"]
def group(g):
    name = f"Directory group {g}"
    found = call("GET", "/Groups?excludedAttributes=members&filter=" + q(f'displayName eq "{name}"'))
    assert found["totalResults"] == 0
    return call("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})["id"]
def fill(args):
    gid, members = args
    for k in range(0, len(members), batch):
        call("PATCH", f"/Groups/{gid}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": m} for m in members[k:k + batch]]}]})
def off(uid):
    call("PATCH", f"/Users/{uid}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}]})
with ThreadPoolExecutor(conc) as pool:
    t0 = time.time(); ids = list(pool.map(user, range(users))); t1 = time.time()
    gids = list(pool.map(group, range(groups))); t2 = time.time()
    per = [ids[g::groups] for g in range(groups)]
    list(pool.map(fill, zip(gids, per))); t3 = time.time()
    list(pool.map(off, ids[::100])); t4 = time.time()
print(f"users\t{users}\t{t1 - t0:.1f}")
print(f"groups\t{groups}\t{t2 - t1:.1f}")
print(f"members\t{users}\t{t3 - t2:.1f}")
print(f"deactivated\t{len(ids[::100])}\t{t4 - t3:.1f}")
print(f"total\t{t4 - t0:.1f}")
PY
cat "$WORK/push.txt"
field() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k { print $c }' "$WORK/push.txt"; }
TEAM=$(db_query "SELECT id FROM teams WHERE name = 'Harbor Engineering'")
SYNCED=$(db_query "SELECT COUNT(*) FROM scim_users s JOIN memberships m ON m.team_id = s.team_id AND m.account_id = s.account_id WHERE s.team_id = '$TEAM' AND s.active = 1")
IN_GROUPS=$(db_query "SELECT COUNT(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.team_id = '$TEAM' AND g.synced = 1")
echo "engine:        $ENGINE, $(nproc) cores, concurrency $CONCURRENCY"
echo "in the team:   $SYNCED synced members, $IN_GROUPS group memberships"
EXPECT=$(( USERS - (USERS + 99) / 100 ))
[[ "$SYNCED" == "$EXPECT" && "$IN_GROUPS" == "$EXPECT" ]] || { echo "expected $EXPECT of each" >&2; exit 1; }
rate() { python3 -c "import sys; n,s=float(sys.argv[1]),float(sys.argv[2]); print(f'{s:.1f} s ({n/s:,.0f}/s)')" "$@"; }
bench_result "Directory push: $USERS users created (look-up + POST)" "$(rate "$USERS" "$(field users 3)")"
bench_result "Directory push: $NGROUPS groups created, then filled by PATCH of $BATCH" "$(field groups 3) s + $(rate "$USERS" "$(field members 3)")"
bench_result "Directory push: $USERS users and $NGROUPS groups, end to end" "$(field total 2) s"
