// The peer authorization server for bench/compare.
//
// node-oidc-provider v9 with its built-in in-memory adapter, in one process,
// configured as close to Tessera's OAuth contract as it allows:
//
//   * a client-credentials client (client_secret_basic, scope content:read);
//   * a code-flow client (client_secret_basic, authorization_code and
//     refresh_token, redirect URI http://127.0.0.1:9/cb, scopes
//     "openid profile content:read");
//   * PKCE (S256) required for every authorization request;
//   * opaque access tokens for one resource server (the API), so
//     client-credentials and code-flow tokens are both introspectable;
//   * an authorization request with `openid` gets a token for the userinfo
//     endpoint instead (this provider refuses API tokens there);
//   * every refresh rotates the refresh token, as Tessera's does;
//   * introspection answers a client only about its own tokens, as Tessera's;
//   * GET /interaction/:uid signs in a fixed account and grants everything
//     the request asked for, with no page in between. The bench drives it
//     once per session and then reuses the session cookie: from then on the
//     grant is found by the default loadExistingGrant and /auth answers 303
//     with a code at once.
//
// Everything comes from the environment (bench/compare sets it):
//   PORT        listen port (127.0.0.1 only), issuer http://localhost:PORT
//   CC_SECRET   the client-credentials client's secret (client id bench-cc)
//   WEB_SECRET  the code-flow client's secret (client id bench-web)
//   NODE_ENV    should be "production"; a warning is printed otherwise
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`server.mjs: set ${name}`);
    process.exit(2);
  }
  return value;
}

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('server.mjs: set PORT to the port to listen on');
  process.exit(2);
}
if (process.env.NODE_ENV !== 'production') {
  console.error('server.mjs: warning: NODE_ENV is not "production"; figures will not be comparable');
}

const issuer = `http://localhost:${port}`;
const redirectUri = 'http://127.0.0.1:9/cb';
// The audience of every API access token; the scope names are Tessera's.
const resource = `${issuer}/api`;
const resourceScopes = 'profile content:read';
const accountId = 'bench';

// A fresh signing key (ID tokens, JWKS) and cookie keys for every start.
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };
const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

function requestsOpenid(ctx) {
  const scope = ctx.oidc.params?.scope;
  return typeof scope === 'string' && scope.split(' ').includes('openid');
}

const provider = new Provider(issuer, {
  // No adapter: the provider's built-in in-memory (LRU) adapter.
  clients: [
    {
      client_id: 'bench-cc',
      client_secret: required('CC_SECRET'),
      client_name: 'bench client credentials',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'content:read',
    },
    {
      client_id: 'bench-web',
      client_secret: required('WEB_SECRET'),
      client_name: 'bench code flow',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      scope: 'openid profile content:read',
    },
  ],
  // ID tokens are signed with ES256, Tessera's default.
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  jwks: { keys: [signingKey] },
  cookies: { keys: cookieKeys },
  scopes: ['openid', 'offline_access', 'profile', 'content:read'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
    },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Requests without a `resource` parameter are for the one API, except
      // OpenID requests, whose access token is for the userinfo endpoint.
      defaultResource: async (ctx, _client, oneOf) => {
        if (oneOf) return oneOf;
        return requestsOpenid(ctx) ? undefined : resource;
      },
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== resource) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: resourceScopes,
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'opaque',
        };
      },
    },
  },
  // Like Tessera: an authorization-code exchange by a client allowed the
  // refresh_token grant also gets a refresh token (without this, only the
  // offline_access scope would get one), and every refresh rotates it.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: 'Bench User', preferred_username: sub }),
  }),
  interactions: {
    url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  // Tessera's lifetimes: access 1 hour, refresh 14 days, code 60 s.
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 3600,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
  },
});

// The fixed account signs in and grants every scope the request asked for.
async function finishInteraction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const result = {};

  if (prompt.name === 'login') {
    result.login = { accountId };
  }

  let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  if (!grant) {
    grant = new provider.Grant({ accountId, clientId: params.client_id });
  }
  const missing = prompt.details ?? {};
  if (missing.missingOIDCScope) {
    grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  }
  if (missing.missingOIDCClaims) {
    grant.addOIDCClaims(missing.missingOIDCClaims);
  }
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  // Grant everything the client may ask for, even when this prompt was only
  // "login", so that neither a consent prompt that may follow nor a later
  // request for other scopes of the client finds anything missing (as with
  // Tessera's remembered consent to the client's scopes).
  grant.addOIDCScope('openid profile');
  grant.addResourceScope(resource, resourceScopes);
  result.consent = { grantId: await grant.save() };

  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

const providerCallback = provider.callback();

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
    finishInteraction(req, res).catch((err) => {
      if (!res.headersSent) {
        res.statusCode = 400;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      }
      res.end(`interaction failed: ${err.message}\n`);
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/healthz') {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('ok\n');
    return;
  }
  providerCallback(req, res);
});

server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port} (issuer ${issuer})`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
