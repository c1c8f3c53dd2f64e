// Starts panva's oidc-provider on 127.0.0.1:PORT for the identity benchmark.
//
//   NODE_ENV=production node provider.mjs OUT_DIR [PORT]
//
// OUT_DIR receives:
//   provider.json   - issuer, token/userinfo endpoints, client id, one userinfo access token,
//                     and the paths of the files below
//   userinfo-tokens.txt - OIDC_USERINFO_TOKENS (default 100) userinfo access tokens, one a line
//   client-key.pem  - the client's RSA private key (PKCS#8), for gen-assertions.mjs
// "READY <issuer>" is printed on stdout once the server is listening.
//
// Everything is generated fresh at start-up (provider signing key, cookie keys, client key
// pair), so no development-only defaults are used and no warnings about them are printed.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Provider, { errors } from 'oidc-provider';

const [outArg, portArg] = process.argv.slice(2);
if (!outArg) {
  console.error('usage: node provider.mjs OUT_DIR [PORT]');
  process.exit(2);
}
const outDir = resolve(outArg);
const port = Number(portArg || process.env.OIDC_PORT || 3901);
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const CLIENT_ID = 'bench-client';
// client_credentials requests that name this resource (RFC 8707 `resource`) get an RS256 JWT
// access token instead of the default opaque one: the comparison for servers that sign
// their access tokens. Requests without `resource` are unchanged (opaque).
const JWT_RESOURCE = 'urn:bench:jwt-api';
const ACCOUNT_ID = 'bench-user-1';

if (process.env.NODE_ENV !== 'production') {
  console.error('provider.mjs: warning: NODE_ENV is not "production"');
}

// In-memory storage without eviction. oidc-provider's bundled MemoryAdapter is a
// development-only LRU capped at 1000 entries: under a client_credentials load every
// request stores a token and a replay-detection (jti) record, so within a second it
// would evict the grant and access token that the userinfo measurement depends on.
// This adapter is a plain Map with expiry, i.e. the cheapest storage possible
// (no I/O, no serialization), which favours oidc-provider over any DB-backed server.
const stores = new Map();
function storeFor(name) {
  let s = stores.get(name);
  if (!s) { s = new Map(); stores.set(name, s); }
  return s;
}
const grantIndex = new Map(); // grantId -> Set of [modelName, id]
class MapAdapter {
  constructor(name) { this.name = name; this.store = storeFor(name); }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    this.store.set(id, { payload, expiresAt });
    if (payload.grantId) {
      let set = grantIndex.get(payload.grantId);
      if (!set) { set = new Set(); grantIndex.set(payload.grantId, set); }
      set.add(`${this.name}\u0000${id}`);
    }
  }

  async find(id) {
    const e = this.store.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) { this.store.delete(id); return undefined; }
    return e.payload;
  }

  async findByUid(uid) {
    for (const [id, e] of this.store) if (e.payload.uid === uid) return this.find(id);
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const [id, e] of this.store) if (e.payload.userCode === userCode) return this.find(id);
    return undefined;
  }

  async consume(id) {
    const e = this.store.get(id);
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { this.store.delete(id); }

  async revokeByGrantId(grantId) {
    const set = grantIndex.get(grantId);
    if (!set) return;
    for (const key of set) {
      const [name, id] = key.split('\u0000');
      storeFor(name).delete(id);
    }
    grantIndex.delete(grantId);
  }
}
// Drop expired entries now and then (the benchmark is short; this only bounds memory).
setInterval(() => {
  const now = Date.now();
  for (const s of stores.values()) for (const [id, e] of s) if (e.expiresAt <= now) s.delete(id);
}, 60_000).unref();

// Key material.
const { privateKey: opKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const opJwk = { ...opKey.export({ format: 'jwk' }), kid: 'op-sig-1', use: 'sig', alg: 'RS256' };
const { privateKey: clientPriv, publicKey: clientPub } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const clientPubJwk = { ...clientPub.export({ format: 'jwk' }), kid: 'bench-client-1', use: 'sig', alg: 'RS256' };

const accounts = {
  [ACCOUNT_ID]: { sub: ACCOUNT_ID, name: 'Bench User', email: 'bench@example.test', email_verified: true },
};

const configuration = {
  adapter: MapAdapter,
  jwks: { keys: [opJwk] },
  cookies: { keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')] },
  clients: [{
    client_id: CLIENT_ID,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks: { keys: [clientPubJwk] },
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid profile email data:read',
  }],
  scopes: ['openid', 'profile', 'email', 'data:read'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  features: {
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== JWT_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: 'data:read',
          audience: JWT_RESOURCE,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // Same lifetime as Tessera's tokens; explicit so the "SHOULD change" defaults are not used.
  ttl: { AccessToken: 3600, ClientCredentials: 3600, Grant: 86400 },
  async findAccount(ctx, id) {
    const profile = accounts[id];
    if (!profile) return undefined;
    return { accountId: id, async claims() { return { ...profile }; } };
  },
};

const provider = new Provider(issuer, configuration);

// User-bound access tokens that the userinfo endpoint accepts (OIDC_USERINFO_TOKENS of them,
// default 100, each with its own grant, all for one account). oidc-provider's default
// AccessToken format is "opaque": a random 43-character handle whose payload lives in the
// adapter, so every userinfo call looks the token up in storage (and its grant); the
// client_credentials tokens are opaque too, so every token request also stores one.
const client = await provider.Client.find(CLIENT_ID);
const userinfoTokens = [];
const tokenCount = Number(process.env.OIDC_USERINFO_TOKENS || 100);
for (let i = 0; i < tokenCount; i += 1) {
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: CLIENT_ID });
  grant.addOIDCScope('openid profile email');
  const grantId = await grant.save();
  const at = new provider.AccessToken({
    accountId: ACCOUNT_ID,
    client,
    grantId,
    gty: 'authorization_code',
    scope: 'openid profile email',
    expiresIn: 3600,
  });
  userinfoTokens.push(await at.save());
}

mkdirSync(outDir, { recursive: true });
const keyPath = join(outDir, 'client-key.pem');
writeFileSync(keyPath, clientPriv.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
const tokensPath = join(outDir, 'userinfo-tokens.txt');
writeFileSync(tokensPath, `${userinfoTokens.join('\n')}\n`, { mode: 0o600 });

const server = provider.listen(port, host, () => {
  const info = {
    issuer,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/me`,
    client_id: CLIENT_ID,
    client_kid: clientPubJwk.kid,
    client_key_pem: keyPath,
    userinfo_access_token: userinfoTokens[0],
    userinfo_tokens_file: tokensPath,
    access_token_format: 'opaque',
    jwt_resource: JWT_RESOURCE,
    oidc_provider_version: JSON.parse(readFileSync(new URL('./node_modules/oidc-provider/package.json', import.meta.url))).version,
    node: process.version,
  };
  writeFileSync(join(outDir, 'provider.json'), `${JSON.stringify(info, null, 2)}\n`);
  console.log(`READY ${issuer}`);
});
server.keepAliveTimeout = 65_000;

function shutdown() { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); }
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
