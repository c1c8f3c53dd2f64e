// Pre-flight checks run before each measurement, so that a broken setup fails here with
// the server's own answer instead of producing a figure made of error responses.
//
//   node preflight.mjs exchange URL BODY_FILE [TOKENS_OUT COUNT]
//     POSTs lines 1..max(1,COUNT) of BODY_FILE as form bodies (Authorization from env
//     BENCH_AUTH, if set). Each answer must be 200 with JSON holding a non-empty
//     access_token and token_type Bearer. With TOKENS_OUT, the COUNT access tokens are
//     written there one a line. Prints the first answer (token shortened).
//
//   node preflight.mjs userinfo URL TOKEN_FILE
//     GETs URL with the first token of TOKEN_FILE as a Bearer token: must be 200 with a
//     JSON object. Prints the answer.
import { readFileSync, writeFileSync } from 'node:fs';

function fail(msg) { console.error(`preflight: FAIL: ${msg}`); process.exit(1); }

const readLines = (file, n) => {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  if (lines.length < n) fail(`${file} has ${lines.length} lines, need ${n}`);
  return lines.slice(0, n);
};

async function exchange(url, bodyFile, tokensOut, countArg) {
  const count = tokensOut ? Math.max(1, Number(countArg || 1)) : 1;
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (process.env.BENCH_AUTH) headers.authorization = process.env.BENCH_AUTH;
  const tokens = [];
  for (const [i, body] of readLines(bodyFile, count).entries()) {
    const res = await fetch(url, { method: 'POST', headers, body });
    const text = await res.text();
    if (res.status !== 200) fail(`POST ${url} (line ${i + 1}) -> ${res.status}: ${text.slice(0, 500)}`);
    let json;
    try { json = JSON.parse(text); } catch { fail(`POST ${url} -> 200 but not JSON: ${text.slice(0, 500)}`); }
    if (typeof json.access_token !== 'string' || !json.access_token) fail(`no access_token in ${text.slice(0, 500)}`);
    if (String(json.token_type).toLowerCase() !== 'bearer') fail(`token_type is ${json.token_type}, not Bearer`);
    if (i === 0) {
      const shown = { ...json, access_token: `${json.access_token.slice(0, 16)}... (${json.access_token.length} chars)` };
      console.log(`preflight: POST ${url} -> 200 ${JSON.stringify(shown)}`);
    }
    tokens.push(json.access_token);
  }
  if (tokensOut) writeFileSync(tokensOut, `${tokens.join('\n')}\n`, { mode: 0o600 });
}

async function userinfo(url, tokenFile) {
  const [token] = readLines(tokenFile, 1);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) fail(`GET ${url} -> ${res.status}: ${text.slice(0, 500)}`);
  let json;
  try { json = JSON.parse(text); } catch { fail(`GET ${url} -> 200 but not JSON: ${text.slice(0, 500)}`); }
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(`GET ${url} -> not a JSON object: ${text.slice(0, 500)}`);
  console.log(`preflight: GET ${url} -> 200 ${text.slice(0, 300)}`);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'exchange' && args.length >= 2) await exchange(...args);
else if (cmd === 'userinfo' && args.length === 2) await userinfo(...args);
else fail('usage: preflight.mjs exchange URL BODY_FILE [TOKENS_OUT COUNT] | userinfo URL TOKEN_FILE');
