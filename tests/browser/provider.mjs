// An OpenID provider for the sign-in test: npm's oidc-provider (a certified
// implementation), with the province's accounts in its own claim names and
// JWT access tokens for the services.
//
//   node provider.mjs <port> <redirect_uri> <key directory> <keys> <access token seconds>
//
// <keys> names the key set, the signing key first: `2026a:RS256,2026b:ES256`.
// A key is made the first time its name is used and kept in the directory,
// so that a restart with another list rotates the keys as a provider would.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const [port, redirect, directory, names, ttl] = process.argv.slice(2);

const makers = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

function key(name) {
  const [kid, alg] = name.split(':');
  const file = join(directory, `${kid}.json`);
  if (!existsSync(file)) {
    const jwk = makers[alg]().privateKey.export({ format: 'jwk' });
    writeFileSync(file, JSON.stringify({ ...jwk, kid, alg, use: 'sig' }));
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

const keys = names.split(',').map(key);
const signing = keys[0].alg;

// The province's accounts, as its provider names them: the unit under
// `province_unit`, the roles as groups of its own.
const accounts = {
  'kiemtra-33': { province_unit: '33', groups: ['noi-chinh', 'email-users'] },
  'chanhvp-323': { province_unit: '323', groups: ['van-phong'] },
  'khach': { groups: ['email-users'] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'doithoai-web',
    client_secret: 'web-secret-for-tests',
    redirect_uris: [redirect],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: signing,
  }],
  jwks: { keys },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, ...(accounts[id] ?? {}) }),
  }),
  claims: { openid: ['sub', 'province_unit', 'groups'] },
  // The ID token carries the account's claims even though an access token
  // comes with it (the web reads who signed in from the ID token).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['provider-cookie-key-for-tests'] },
  ttl: { AccessToken: Number(ttl), IdToken: Number(ttl), Interaction: 600, Session: 3600, Grant: 3600 },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:doithoai:services',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'doithoai',
        audience: 'doithoai',
        accessTokenTTL: Number(ttl),
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: signing } },
      }),
    },
  },
  // The services read the caller from the access token: the same claims.
  extraTokenClaims: async (_ctx, token) => (token.kind === 'AccessToken' ? accounts[token.accountId] : undefined),
});

provider.listen(Number(port), '127.0.0.1', () => console.log(`provider ready ${keys.map((k) => k.kid).join(',')}`));
