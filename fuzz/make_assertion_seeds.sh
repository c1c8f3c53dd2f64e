#!/usr/bin/env bash
# Writes the assertion seed corpus: tokens signed with keys/test_rsa.pem for the fixed
# "now" of fuzz_targets/assertion.rs (2026-11-25T12:00:00Z). Run from fuzz/.
# The first byte picks the target's mode: 0 (even) = raw token, 1 (odd) = structured.
set -e
b64() { basenc --base64url | tr -d '=\n'; }
key=keys/test_rsa.pem
tok() { # header claims
  h=$(printf '%s' "$1" | b64); p=$(printf '%s' "$2" | b64)
  s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -sign $key | b64)
  printf '%s.%s.%s' "$h" "$p" "$s"
}
EP=https://tessera.example/authentication/v2/token
printf '0%s' "$(tok '{"alg":"RS256","kid":"k1","typ":"JWT"}' '{"aud":"'$EP'","exp":1795608120,"iss":"client-1","scope":["data:read","user-profile:read"],"sub":"ssa-1"}')" > corpus/assertion/raw_valid
printf '0%s' "$(tok '{"alg":"RS256","kid":"k1"}' '{"aud":["https://other.example/token","'$EP'"],"exp":1795608300,"iss":"client-1","scope":[],"sub":"ssa-1"}')" > corpus/assertion/raw_valid_aud_array
printf '0%s' "$(tok '{"alg":"RS256","kid":"k1"}' '{"aud":"'$EP'","exp":1795607000,"iss":"client-1","scope":["data:read"],"sub":"ssa-1"}')" > corpus/assertion/raw_expired
printf '0%s' "$(tok '{"alg":"RS256","kid":"k1"}' '{"aud":"'$EP'","exp":1795608120,"iss":"client-1","scope":["account:write"],"sub":"ssa-1"}')" > corpus/assertion/raw_scope_not_allowed
h=$(printf '%s' '{"alg":"none","kid":"k1"}' | b64); p=$(printf '%s' '{"iss":"client-1"}' | b64)
printf '0%s.%s.' "$h" "$p" > corpus/assertion/raw_alg_none
h=$(printf '%s' '{"alg":"HS256","kid":"k1"}' | b64)
printf '0%s.%s.c2ln' "$h" "$p" > corpus/assertion/raw_alg_hs256
printf '1' > corpus/assertion/structured_valid
printf '1\x01\x00\x00\x00\x00' > corpus/assertion/structured_variant
