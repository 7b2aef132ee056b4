// Reference authorization server for scripts/bench-oauth.sh.
//
// node-oidc-provider v9 with its in-memory adapter, in one process, configured
// as close to Tessera's OAuth contract as it allows:
//
//   * one confidential client (client_secret_basic) allowed authorization_code,
//     refresh_token and client_credentials, redirect URI http://127.0.0.1:9/cb;
//   * PKCE (S256) required for every authorization request;
//   * opaque access tokens for one resource server, so client_credentials and
//     authorization-code tokens are both introspectable;
//   * introspection and revocation enabled;
//   * GET /interaction/:uid signs in a fixed account and grants everything the
//     request asked for, with no page in between. The benchmark drives it once
//     and then reuses the session cookie: from then on the grant is found by
//     the default loadExistingGrant and /auth answers 303 with a code at once.
//
// Everything comes from the environment (the bench script sets it):
//   PORT           listen port (127.0.0.1 only), issuer http://localhost:PORT
//   CLIENT_ID      default "bench"
//   CLIENT_SECRET  default: random, printed on stdout at start-up
//   NODE_ENV       should be "production"; a warning is printed otherwise
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('server.mjs: set PORT to the port to listen on');
  process.exit(2);
}
if (process.env.NODE_ENV !== 'production') {
  console.error('server.mjs: warning: NODE_ENV is not "production"; figures will not be comparable');
}

const issuer = `http://localhost:${port}`;
const clientId = process.env.CLIENT_ID || 'bench';
const clientSecret = process.env.CLIENT_SECRET || crypto.randomBytes(32).toString('base64url');
const redirectUri = 'http://127.0.0.1:9/cb';
// The audience of every access token; "profile content:read" are its scopes,
// the same names Tessera uses.
const resource = `${issuer}/api`;
const resourceScopes = 'profile content:read';
const accountId = 'bench';

// Fresh signing key (for discovery/JWKS only: no ID token is issued without
// the openid scope) and cookie keys for every start.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };
const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

const provider = new Provider(issuer, {
  // No adapter: the provider's built-in in-memory (LRU) adapter.
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    client_name: 'bench',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope: resourceScopes,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: cookieKeys },
  scopes: ['openid', 'offline_access', 'profile', 'content:read'],
  // Keep "profile" a plain resource scope (as in Tessera), not an OIDC claims scope.
  claims: { openid: ['sub'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Requests without a `resource` parameter are for the one API.
      defaultResource: async () => resource,
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
  // refresh_token grant also gets a refresh token (without it, this provider
  // would issue one only for the offline_access scope).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub }),
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
  // Grant the API's scopes even when this prompt was only "login", so that
  // the consent prompt that may follow finds nothing missing.
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
  // The bench script reads these two lines.
  console.log(`client_id=${clientId}`);
  console.log(`client_secret=${clientSecret}`);
  console.log(`listening on http://127.0.0.1:${port} (issuer ${issuer})`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
