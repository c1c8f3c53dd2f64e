// Pre-generates signed RS256 JWT assertions as ready-to-send form bodies, one per line.
//
//   node gen-assertions.mjs tessera --key PEM --kid KID --client-id ID --sub SSA_ID \
//        --aud TOKEN_ENDPOINT_URL [--scope data:read] --count N --out FILE
//     -> grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
//        JWT claims: iss=client id, sub=SSA id, aud=token endpoint, iat, exp=now+300,
//        jti (unique; Tessera ignores it), scope=["data:read"] (an array, as Tessera wants)
//
//   node gen-assertions.mjs oidc --provider-json provider.json [--aud URL] \
//        [--scope data:read] [--resource URI] --count N --out FILE
//     -> grant_type=client_credentials&scope=...&client_assertion_type=...&client_assertion=<JWT>
//        JWT claims: iss=sub=client id, aud=token endpoint, iat, exp=now+300, jti unique
//        (oidc-provider rejects a replayed jti, so every line may be sent exactly once);
//        --resource adds resource=URI (provider.mjs answers it with a JWT access token)
//
//   node gen-assertions.mjs verify --key PEM --in FILE [--aud URL] [--iss ID] [--kid KID]
//     Checks every line: RS256 signature against the key's public half, header and claims.
//
//   node gen-assertions.mjs selftest
//     Makes a throwaway PKCS#1 key, generates Tessera bodies, verifies them, and checks that
//     a tampered one fails. Exits non-zero on any problem.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const LIFETIME = 300;

function die(msg) { console.error(`gen-assertions: ${msg}`); process.exit(1); }

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (!a.startsWith('--')) die(`unexpected argument ${a}`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) die(`${a} needs a value`);
    out[a.slice(2)] = v;
    i += 1;
  }
  return out;
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const enc = (obj) => b64u(JSON.stringify(obj));

function signJwt(header, claims, key) {
  const input = `${enc(header)}.${enc(claims)}`;
  return `${input}.${b64u(sign('sha256', Buffer.from(input), key))}`;
}

// Writes `count` lines made by `line(i)`, respecting stream back-pressure.
async function writeLines(file, count, line) {
  const ws = createWriteStream(file);
  const started = Date.now();
  for (let i = 0; i < count; i += 1) {
    if (!ws.write(`${line(i)}\n`)) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise((r, j) => ws.end((e) => (e ? j(e) : r())));
  const ms = Date.now() - started;
  console.error(`gen-assertions: wrote ${count} bodies to ${file} in ${(ms / 1000).toFixed(1)} s`);
}

function need(opts, ...names) {
  for (const n of names) if (!opts[n]) die(`--${n} is required`);
}

async function genTessera(opts) {
  need(opts, 'key', 'kid', 'client-id', 'sub', 'aud', 'count', 'out');
  const key = createPrivateKey(readFileSync(opts.key)); // PKCS#1 or PKCS#8 PEM
  if (key.asymmetricKeyType !== 'rsa') die('--key must be an RSA private key');
  const count = Number(opts.count);
  const scope = (opts.scope || 'data:read').split(/[ ,]+/).filter(Boolean);
  const header = { alg: 'RS256', typ: 'JWT', kid: opts.kid };
  const runId = randomBytes(6).toString('base64url');
  await writeLines(opts.out, count, (i) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt(header, {
      iss: opts['client-id'], sub: opts.sub, aud: opts.aud,
      iat: now, exp: now + LIFETIME, jti: `${runId}-${i}`, scope,
    }, key);
    return new URLSearchParams({ grant_type: JWT_BEARER, assertion: jwt }).toString();
  });
}

async function genOidc(opts) {
  need(opts, 'provider-json', 'count', 'out');
  const info = JSON.parse(readFileSync(opts['provider-json'], 'utf8'));
  const key = createPrivateKey(readFileSync(info.client_key_pem));
  const count = Number(opts.count);
  const aud = opts.aud || info.token_endpoint;
  const header = { alg: 'RS256', typ: 'JWT', kid: info.client_kid };
  const runId = randomBytes(6).toString('base64url');
  const scope = opts.scope || 'data:read';
  await writeLines(opts.out, count, (i) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt(header, {
      iss: info.client_id, sub: info.client_id, aud,
      iat: now, exp: now + LIFETIME, jti: `${runId}-${i}`,
    }, key);
    const params = new URLSearchParams({ grant_type: 'client_credentials', scope });
    if (opts.resource) params.set('resource', opts.resource);
    params.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
    params.set('client_assertion', jwt);
    return params.toString();
  });
}

// Returns a list of problems with one body line ([] when it is good).
function checkLine(line, pub, expect) {
  const params = new URLSearchParams(line);
  const jwt = params.get('assertion') || params.get('client_assertion');
  if (!jwt) return ['no assertion/client_assertion parameter'];
  const parts = jwt.split('.');
  if (parts.length !== 3) return ['not three dot-separated parts'];
  const [h, p, s] = parts;
  const problems = [];
  let header; let claims;
  try { header = JSON.parse(Buffer.from(h, 'base64url')); } catch { return ['header is not base64url JSON']; }
  try { claims = JSON.parse(Buffer.from(p, 'base64url')); } catch { return ['payload is not base64url JSON']; }
  if (header.alg !== 'RS256') problems.push(`alg ${header.alg}`);
  if (!header.kid) problems.push('no kid');
  if (expect.kid && header.kid !== expect.kid) problems.push(`kid ${header.kid} != ${expect.kid}`);
  if (!verify('sha256', Buffer.from(`${h}.${p}`), pub, Buffer.from(s, 'base64url'))) problems.push('bad signature');
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number') problems.push('exp not a number');
  else {
    if (claims.exp < now) problems.push('expired');
    if (claims.exp > now + LIFETIME + 30) problems.push('exp too far ahead');
  }
  if (expect.aud && claims.aud !== expect.aud) problems.push(`aud ${claims.aud} != ${expect.aud}`);
  if (expect.iss && claims.iss !== expect.iss) problems.push(`iss ${claims.iss} != ${expect.iss}`);
  if (params.get('grant_type') === JWT_BEARER) {
    if (!Array.isArray(claims.scope) || !claims.scope.every((x) => typeof x === 'string')) problems.push('scope is not an array of strings');
    if (typeof claims.sub !== 'string') problems.push('sub missing');
  } else if (!claims.jti) problems.push('jti missing');
  return problems;
}

function verifyFile(opts) {
  need(opts, 'key', 'in');
  const pub = createPublicKey(createPrivateKey(readFileSync(opts.key)));
  const lines = readFileSync(opts.in, 'utf8').split('\n').filter(Boolean);
  const jtis = new Set();
  let bad = 0;
  for (const [i, line] of lines.entries()) {
    const problems = checkLine(line, pub, opts);
    const jwt = new URLSearchParams(line).get('assertion') || new URLSearchParams(line).get('client_assertion') || '';
    try {
      const { jti } = JSON.parse(Buffer.from(jwt.split('.')[1] || '', 'base64url'));
      if (jti && jtis.has(jti)) problems.push(`duplicate jti ${jti}`);
      if (jti) jtis.add(jti);
    } catch { /* reported by checkLine */ }
    if (problems.length) {
      bad += 1;
      if (bad <= 5) console.error(`line ${i + 1}: ${problems.join('; ')}`);
    }
  }
  console.error(`gen-assertions: verified ${lines.length} lines, ${bad} bad, ${jtis.size} distinct jti`);
  return bad === 0 && lines.length > 0;
}

async function selftest() {
  const dir = mkdtempSync(join(tmpdir(), 'gen-assertions-'));
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs1' }); // as Tessera hands out
    if (!pem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) die('selftest: key is not PKCS#1');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, pem);
    const aud = 'http://127.0.0.1:3000/authentication/v2/token';
    const out = join(dir, 'bodies.txt');
    await genTessera({ key: keyFile, kid: 'kid-1', 'client-id': 'client-1', sub: 'ssa-1', aud, count: '50', out });
    if (!verifyFile({ key: keyFile, in: out, aud, iss: 'client-1', kid: 'kid-1' })) die('selftest: generated bodies did not verify');
    const first = readFileSync(out, 'utf8').split('\n')[0];
    const params = new URLSearchParams(first);
    if (params.get('grant_type') !== JWT_BEARER) die('selftest: wrong grant_type');
    const [h, p, s] = params.get('assertion').split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    console.error('selftest: header', Buffer.from(h, 'base64url').toString(), 'claims', JSON.stringify(claims));
    const tampered = `${h}.${enc({ ...claims, sub: 'ssa-2' })}.${s}`;
    const pub = createPublicKey(privateKey);
    if (checkLine(new URLSearchParams({ grant_type: JWT_BEARER, assertion: tampered }).toString(), pub, {}).indexOf('bad signature') < 0) {
      die('selftest: tampered assertion was not rejected');
    }
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    if (checkLine(first, other, {}).indexOf('bad signature') < 0) die('selftest: wrong key was not rejected');
    console.error('selftest: OK');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, ...rest] = process.argv.slice(2);
const opts = parseArgs(rest);
if (mode === 'tessera') await genTessera(opts);
else if (mode === 'oidc') await genOidc(opts);
else if (mode === 'verify') process.exit(verifyFile(opts) ? 0 : 1);
else if (mode === 'selftest') await selftest();
else die('usage: gen-assertions.mjs tessera|oidc|verify|selftest [options] (see the header of this file)');
