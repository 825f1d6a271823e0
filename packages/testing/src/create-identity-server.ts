import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { applyFault, FaultRegistry, type TimerSet } from './faults.js';
import { BodyTooLargeError, readBody, sendError, sendJson } from './internal/http.js';
import type { ServerState } from './internal/state.js';
import { randomToken, recordClaims, resolveExp, TokenStore } from './internal/token-store.js';
import { handleIntrospection } from './introspection-endpoint.js';
import { ALL_ALGORITHMS, KeyRing } from './keys.js';
import { buildMetadata } from './metadata.js';
import { type MintState, mintBadJwt, mintJwt } from './mint-jwt.js';
import { handleRevocation } from './revocation-endpoint.js';
import { mintSecurityEvent, pushSecurityEvent } from './security-events.js';
import { handleToken } from './token-endpoint.js';
import type {
  CallCounts,
  ClientRegistration,
  FaultEndpoint,
  IdentityServer,
  IdentityServerOptions,
  JwtAlgorithm,
} from './types.js';

type CounterName = keyof CallCounts;

interface Route {
  counter: CounterName;
  fault?: FaultEndpoint;
  methods: string[];
  handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> | void;
}

const DEFAULT_CLIENT_ID = 'resource-server';

function zeroCounts(): CallCounts {
  return {
    introspect: 0,
    token: 0,
    jwks: 0,
    oauthMetadata: 0,
    openidMetadata: 0,
    ssfConfiguration: 0,
    revoke: 0,
    authorize: 0,
    attacker: 0,
  };
}

function validateClient(client: ClientRegistration, where: string): ClientRegistration {
  if (typeof client?.clientId !== 'string' || client.clientId === '') {
    throw new TypeError(`${where}.clientId must be a non-empty string`);
  }
  if (client.clientSecret !== undefined && typeof client.clientSecret !== 'string') {
    throw new TypeError(`${where}.clientSecret must be a string`);
  }
  if (client.jwks !== undefined && !Array.isArray(client.jwks?.keys)) {
    throw new TypeError(`${where}.jwks must be a JWKS object ({ keys: [...] })`);
  }
  // Copy so later changes to the caller's object do not change the registration.
  return { ...client, canIntrospect: client.canIntrospect ?? true };
}

function validateOptions(options: IdentityServerOptions): void {
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new TypeError('createIdentityServer: port must be an integer from 0 to 65535');
    }
  }
  if (options.accessTokenTtlSec !== undefined) {
    if (!Number.isFinite(options.accessTokenTtlSec) || options.accessTokenTtlSec <= 0) {
      throw new TypeError('createIdentityServer: accessTokenTtlSec must be a positive number');
    }
  }
  if (
    options.callerToken !== undefined &&
    (typeof options.callerToken !== 'string' || options.callerToken === '')
  ) {
    throw new TypeError('createIdentityServer: callerToken must be a non-empty string');
  }
  if (options.jwtAlgorithms !== undefined) {
    const algs = options.jwtAlgorithms;
    if (
      !Array.isArray(algs) ||
      algs.length === 0 ||
      algs.some((a) => !ALL_ALGORITHMS.includes(a))
    ) {
      throw new TypeError(
        `createIdentityServer: jwtAlgorithms must be a non-empty list of ${ALL_ALGORITHMS.join(', ')}`,
      );
    }
  }
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Start a local OAuth 2.0 identity server on loopback that speaks the identity service's
 * introspection contract, plus a `client_credentials` token endpoint, RFC 7009 revocation, RFC 8414 and
 * OpenID metadata, and a JWKS. Close it with `close()` (e.g. in `afterAll`).
 *
 * @example
 * ```ts
 * const idp = await createIdentityServer();
 * const token = idp.mintToken({ scope: 'read', brand: 'acme' });
 * const res = await fetch(idp.introspectionEndpoint, {
 *   method: 'POST',
 *   headers: { authorization: `Bearer ${idp.callerToken}` },
 *   body: new URLSearchParams({ token }),
 * });
 * await idp.close();
 * ```
 */
export async function createIdentityServer(
  options: IdentityServerOptions = {},
): Promise<IdentityServer> {
  validateOptions(options);
  const clients = new Map<string, ClientRegistration>();
  const defaultClient = { clientId: DEFAULT_CLIENT_ID, clientSecret: randomToken() };
  clients.set(DEFAULT_CLIENT_ID, { ...defaultClient, canIntrospect: true });
  for (const [i, client] of (options.clients ?? []).entries()) {
    const valid = validateClient(client, `createIdentityServer: clients[${i}]`);
    clients.set(valid.clientId, valid);
  }
  const algorithms: JwtAlgorithm[] = [...new Set(options.jwtAlgorithms ?? ALL_ALGORITHMS)];
  const keys = await KeyRing.create(algorithms);
  let attackerKeys: Promise<KeyRing> | undefined;
  const getAttackerKeys = () => {
    attackerKeys ??= KeyRing.create(algorithms);
    return attackerKeys;
  };

  const store = new TokenStore();
  const faults = new FaultRegistry();
  const timers: TimerSet = new Set();
  const sockets = new Set<Socket>();
  let counts = zeroCounts();
  // Filled in once the port is known, before any request can be handled.
  let state!: ServerState;

  const routes: Record<string, Route> = {
    '/v1/oauth/introspect': {
      counter: 'introspect',
      fault: 'introspect',
      methods: ['POST'],
      handle: (req, res, body) => handleIntrospection(state, req, res, body),
    },
    '/oauth/token': {
      counter: 'token',
      fault: 'token',
      methods: ['POST'],
      handle: (req, res, body) => handleToken(state, req, res, body),
    },
    // RFC 8414 §2 lists `authorization_endpoint`, and MCP clients require it in the metadata;
    // this server issues tokens by `client_credentials` only, so every authorization request
    // is refused (RFC 6749 §4.1.2.1: no redirect, since no redirect URI is registered).
    '/oauth/authorize': {
      counter: 'authorize',
      methods: ['GET', 'POST'],
      handle: (_req, res) =>
        sendError(
          res,
          400,
          'unsupported_response_type',
          'this server issues tokens by the client_credentials grant only',
        ),
    },
    '/oauth/revoke': {
      counter: 'revoke',
      methods: ['POST'],
      handle: (req, res, body) => handleRevocation(state, req, res, body),
    },
    '/.well-known/jwks.json': {
      counter: 'jwks',
      fault: 'jwks',
      methods: ['GET', 'HEAD'],
      handle: (_req, res) => sendJson(res, 200, keys.jwks(), { 'cache-control': 'max-age=0' }),
    },
    '/.well-known/oauth-authorization-server': {
      counter: 'oauthMetadata',
      fault: 'metadata',
      methods: ['GET', 'HEAD'],
      handle: (_req, res) =>
        state.metadata.oauth
          ? sendJson(res, 200, buildMetadata(state))
          : sendError(res, 404, 'not_found', 'OAuth metadata is switched off'),
    },
    '/.well-known/openid-configuration': {
      counter: 'openidMetadata',
      fault: 'metadata',
      methods: ['GET', 'HEAD'],
      handle: (_req, res) =>
        state.metadata.openid
          ? sendJson(res, 200, buildMetadata(state))
          : sendError(res, 404, 'not_found', 'OpenID metadata is switched off'),
    },
    '/.well-known/ssf-configuration': {
      counter: 'ssfConfiguration',
      fault: 'metadata',
      methods: ['GET', 'HEAD'],
      // OpenID SSF 1.0 §7.1: the transmitter's metadata; SETs are signed with the JWKS keys.
      handle: (_req, res) =>
        sendJson(res, 200, {
          spec_version: '1_0',
          issuer: state.issuer,
          jwks_uri: state.jwksUri,
          delivery_methods_supported: ['urn:ietf:rfc:8935'],
        }),
    },
    '/attacker/jwks.json': {
      counter: 'attacker',
      methods: ['GET', 'HEAD'],
      handle: async (_req, res) => sendJson(res, 200, (await getAttackerKeys()).jwks()),
    },
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return sendError(res, 400, 'invalid_request', 'malformed request target');
    }
    const route = routes[path];
    if (!route) {
      if (path.startsWith('/attacker/')) counts.attacker += 1;
      return sendError(res, 404, 'not_found', 'no such endpoint');
    }
    counts[route.counter] += 1;
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return sendError(res, 413, 'invalid_request', 'request body over 64 KiB', {
          connection: 'close',
        });
      }
      throw err;
    }
    const handle = () => {
      if (!route.methods.includes(req.method ?? '')) {
        return sendError(res, 405, 'invalid_request', 'method not allowed', {
          allow: route.methods.join(', '),
        });
      }
      return route.handle(req, res, body);
    };
    const fault = route.fault ? faults.take(route.fault) : undefined;
    if (!fault) return handle();
    applyFault(fault, route.fault!, req, res, timers, () => {
      Promise.resolve()
        .then(handle)
        .catch((err: unknown) => answerCrash(res, err));
    });
  }

  function answerCrash(res: ServerResponse, _err: unknown): void {
    // Never crash the process on a handler bug: answer 500 or drop the connection.
    if (!res.headersSent) sendError(res, 500, 'server_error', 'internal error');
    else res.destroy();
  }

  const server = createServer((req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    dispatch(req, res).catch((err: unknown) => answerCrash(res, err));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const url = formatUrl(server.address() as AddressInfo);
  const issuer = options.issuer ?? url;
  state = {
    url,
    issuer,
    introspectionEndpoint: `${url}/v1/oauth/introspect`,
    tokenEndpoint: `${url}/oauth/token`,
    revocationEndpoint: `${url}/oauth/revoke`,
    jwksUri: `${url}/.well-known/jwks.json`,
    accessTokenTtlSec: options.accessTokenTtlSec ?? 3600,
    metadata: { oauth: options.metadata?.oauth ?? true, openid: options.metadata?.openid ?? true },
    keys,
    clients,
    store,
    callerToken: options.callerToken ?? randomBytes(32).toString('base64url'),
    seenJtis: new Map(),
  };
  const mintState: MintState = {
    issuer,
    url,
    keys,
    store,
    attackerKeys: getAttackerKeys,
  };

  let closing: Promise<void> | undefined;

  return {
    url,
    issuer,
    introspectionEndpoint: state.introspectionEndpoint,
    tokenEndpoint: state.tokenEndpoint,
    revocationEndpoint: state.revocationEndpoint,
    jwksUri: state.jwksUri,
    callerToken: state.callerToken,
    defaultClient: { ...defaultClient },
    registerClient(client) {
      const valid = validateClient(client, 'registerClient: client');
      clients.set(valid.clientId, valid);
    },
    mintToken(claims = {}) {
      const token = randomToken();
      const exp = resolveExp(claims);
      const record = { claims: recordClaims(claims, exp), exp };
      store.add(token, claims.nbf === undefined ? record : { ...record, nbf: claims.nbf });
      return token;
    },
    mintJwt: (claims, mintOptions) => mintJwt(mintState, claims, mintOptions),
    mintBadJwt: (kind, claims) => mintBadJwt(mintState, kind, claims),
    async rotateKeys() {
      await keys.rotate();
      return keys.current(algorithms.includes('RS256') ? 'RS256' : algorithms[0]!).kid;
    },
    retireOldKeys: () => keys.retireOld(),
    jwks: () => keys.jwks(),
    currentKid: (alg = 'RS256') => keys.current(alg).kid,
    publicKey: (alg = 'RS256') => keys.current(alg).publicKey,
    revoke: (token) => store.revoke(token),
    get calls() {
      return { ...counts };
    },
    resetCalls() {
      counts = zeroCounts();
    },
    injectFault: (endpoint, fault, times) => faults.inject(endpoint, fault, times),
    clearFaults: () => faults.clear(),
    ssfConfigurationUri: `${url}/.well-known/ssf-configuration`,
    mintSecurityEvent: (eventOptions) => mintSecurityEvent(mintState, eventOptions),
    async pushSecurityEvent(endpoint, set, init) {
      const token = typeof set === 'string' ? set : await mintSecurityEvent(mintState, set);
      return pushSecurityEvent(endpoint, token, init);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        faults.clear();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Hung and dripping answers would otherwise keep close() (and the test run) waiting.
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
