// @ts-check
/**
 * The scenario list. Each scenario names its server (file + config), the token
 * set it is loaded with, the upstream delay during its window, and the target it answers to.
 */

/**
 * `express`, `koa`, `fastify`, `hono` on Node; `nest (express)`, `nest (fastify)` for NestJS on
 * each platform; `hono on Bun 1.4.5`-style names for Hono on another runtime (its own server,
 * Bun.serve or Deno.serve).
 * @typedef {string} Framework
 */
/**
 * `jwt1plain`: one JWT with `typ: JWT` instead of RFC 9068's `at+jwt`, which hono/jwt refuses.
 * @typedef {'none' | 'opaque1000' | 'jwt1' | 'jwt1000' | 'jwt1plain'} TokenSet
 */
/**
 * @typedef {'introspection-hit' | 'introspection-miss' | 'jwt-hit' | 'jwt-nocache'} TargetGroup
 */

/**
 * @typedef {object} Scenario
 * @property {string} id `framework:name`, what `--only` matches
 * @property {Framework} framework
 * @property {string} label shown in the table
 * @property {boolean} baseline
 * @property {boolean} ours a tokenguard scenario (targets apply) rather than a peer
 * @property {boolean} peer a peer library (compared with tokenguard's one-token JWT row)
 * @property {string} file server file in bench/servers
 * @property {Record<string, unknown>} config BENCH_CONFIG of the server
 * @property {TokenSet} tokens
 * @property {'opaque' | 'jwt' | undefined} check which kind of token the correctness gate uses
 * @property {number} upstreamDelayMs injected on the introspection endpoint during the window
 * @property {TargetGroup | undefined} target
 * @property {string | undefined} coalesce label in the coalescing test, for servers that take part
 * @property {boolean} prewarm send every token once before the first window (cached paths)
 * @property {TargetGroup | undefined} floor a hand-written scenario: the floor of that target,
 *   quoted beside it
 * @property {string | undefined} runtime `bun` or `deno` (the server runs there), else Node
 */

/** @type {Framework[]} */
export const frameworks = ['express', 'koa', 'fastify', 'hono'];

/**
 * @param {{ issuer: string, introspectionEndpoint: string, jwksUri: string, callerToken: string,
 *   publicKeyPem: string }} idp
 * @param {Array<{ key: string, name: string }>} [runtimes] other runtimes to run Hono on
 * @returns {Scenario[]}
 */
export function buildScenarios(idp, runtimes = []) {
  const introspection = {
    endpoint: idp.introspectionEndpoint,
    clientAuth: { method: 'bearer', token: idp.callerToken },
  };
  // The hit path must stay a hit for the whole run (longer than the default 5-minute TTL).
  const cached = { maxTtlMs: 3_600_000 };
  const tgIntro = (/** @type {object | false} */ cache) => ({
    auth: 'tokenguard',
    options: { introspection, allowInsecureHttp: true, cache },
  });
  const tgJwt = (/** @type {object | false | undefined} */ cache) => ({
    auth: 'tokenguard',
    options: {
      issuer: idp.issuer,
      jwt: { jwksUri: idp.jwksUri, audience: 'api' },
      allowInsecureHttp: true,
      ...(cache === undefined ? {} : { cache }),
    },
  });
  const handwritten = (/** @type {Record<string, unknown>} */ settings) => ({
    auth: 'handwritten',
    endpoint: idp.introspectionEndpoint,
    callerToken: idp.callerToken,
    issuer: idp.issuer,
    audience: 'api',
    publicKeyPem: idp.publicKeyPem,
    ...settings,
  });
  const jwtPeer = (/** @type {string} */ auth) => ({
    auth,
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    publicKeyPem: idp.publicKeyPem,
  });

  /** @type {Scenario[]} */
  const list = [];
  /** @param {Partial<Scenario> & { framework: Framework, name: string, label: string }} s */
  const add = (s) => {
    list.push({
      id: `${s.framework}:${s.name}`,
      framework: s.framework,
      label: s.label,
      baseline: s.baseline ?? false,
      ours: s.ours ?? false,
      peer: s.peer ?? false,
      file: s.file ?? `${s.framework}.js`,
      config: s.config ?? { auth: 'none' },
      tokens: s.tokens ?? 'none',
      check: s.check,
      upstreamDelayMs: s.upstreamDelayMs ?? 0,
      target: s.target,
      coalesce: s.coalesce,
      prewarm: s.prewarm ?? false,
      floor: s.floor,
      runtime: s.runtime,
    });
  };
  // Rows that also run on Bun and Deno (below), defined once.
  const cachedIntrospection = {
    name: 'tg-introspect-hit',
    prewarm: true,
    label: 'tokenguard introspection, cached, 1,000 tokens',
    ours: true,
    config: tgIntro(cached),
    tokens: /** @type {TokenSet} */ ('opaque1000'),
    check: /** @type {'opaque'} */ ('opaque'),
  };
  const jwtRepeated = {
    name: 'tg-jwt-repeat',
    label: 'tokenguard JWT, one token repeated',
    ours: true,
    config: tgJwt(undefined),
    tokens: /** @type {TokenSet} */ ('jwt1'),
    check: /** @type {'jwt'} */ ('jwt'),
  };
  const jwtEveryTime = {
    name: 'tg-jwt-nocache',
    // 1,000 distinct tokens: with one repeated token, concurrent requests would share one
    // in-flight verification (single-flight works with the cache off) and the signature
    // path would not be measured.
    label: 'tokenguard JWT, cache off, 1,000 tokens (verify every time)',
    ours: true,
    config: tgJwt(false),
    tokens: /** @type {TokenSet} */ ('jwt1000'),
    check: /** @type {'jwt'} */ ('jwt'),
  };
  const honoJwt = {
    name: 'hono-jwt',
    label: 'hono/jwt (Hono’s JWT middleware, one key), one JWT repeated',
    config: jwtPeer('hono-jwt'),
    peer: true,
    tokens: /** @type {TokenSet} */ ('jwt1plain'),
    check: /** @type {'jwt'} */ ('jwt'),
  };

  for (const framework of frameworks) {
    add({ framework, name: 'baseline', label: 'baseline (no auth)', baseline: true });
    add({
      framework,
      ...cachedIntrospection,
      target: 'introspection-hit',
      coalesce: `tokenguard (${framework})`,
    });
    add({
      framework,
      name: 'tg-introspect-miss-0ms',
      label: 'tokenguard introspection, cache off, upstream 0 ms',
      ours: true,
      config: tgIntro(false),
      tokens: 'opaque1000',
      check: 'opaque',
      target: 'introspection-miss',
    });
    add({
      framework,
      name: 'tg-introspect-miss-20ms',
      label: 'tokenguard introspection, cache off, upstream 20 ms',
      ours: true,
      config: tgIntro(false),
      tokens: 'opaque1000',
      check: 'opaque',
      upstreamDelayMs: 20,
    });
    add({ framework, ...jwtRepeated });
    add({
      framework,
      name: 'tg-jwt-rotate',
      prewarm: true,
      label: 'tokenguard JWT, 1,000 tokens',
      ours: true,
      config: tgJwt(undefined),
      tokens: 'jwt1000',
      check: 'jwt',
      target: 'jwt-hit',
    });
    add({ framework, ...jwtEveryTime, target: 'jwt-nocache' });
    // The floors: what a user could write by hand, on the same framework.
    add({
      framework,
      name: 'handwritten-hit',
      prewarm: true,
      label: 'hand-written undici + lru-cache, cached, 1,000 tokens',
      config: handwritten({ kind: 'introspection', cache: true }),
      tokens: 'opaque1000',
      check: 'opaque',
      coalesce: framework === 'express' ? 'hand-written (express)' : undefined,
      floor: 'introspection-hit',
    });
    add({
      framework,
      name: 'handwritten-jwt-hit',
      prewarm: true,
      label: 'hand-written node:crypto RS256 check + lru-cache, cached, 1,000 tokens',
      config: handwritten({ kind: 'jwt', cache: true }),
      tokens: 'jwt1000',
      check: 'jwt',
      floor: 'jwt-hit',
    });
    add({
      framework,
      name: 'handwritten-jwt',
      label: 'hand-written node:crypto RS256 check, 1,000 tokens',
      config: handwritten({ kind: 'jwt' }),
      tokens: 'jwt1000',
      check: 'jwt',
      floor: 'jwt-nocache',
    });
    add({
      framework,
      name: 'handwritten-miss-0ms',
      label: 'hand-written undici, cache off, upstream 0 ms',
      config: handwritten({ kind: 'introspection', cache: false }),
      tokens: 'opaque1000',
      check: 'opaque',
      floor: 'introspection-miss',
    });
    if (framework === 'express') {
      add({
        framework,
        name: 'auth0-jwt-bearer',
        label: 'express-oauth2-jwt-bearer, one JWT repeated',
        peer: true,
        config: jwtPeer('auth0'),
        tokens: 'jwt1',
        check: 'jwt',
      });
      add({
        framework,
        name: 'express-jwt',
        label: 'express-jwt + jwks-rsa, one JWT repeated',
        peer: true,
        config: jwtPeer('express-jwt'),
        tokens: 'jwt1',
        check: 'jwt',
      });
    }
    if (framework === 'koa') {
      add({
        framework,
        name: 'koa-jwt',
        label: 'koa-jwt + jwks-rsa, one JWT repeated',
        peer: true,
        config: jwtPeer('koa-jwt'),
        tokens: 'jwt1',
        check: 'jwt',
      });
    }
    if (framework === 'hono') add({ framework, file: 'hono.js', ...honoJwt });
    if (framework === 'fastify') {
      add({
        framework,
        name: 'fastify-jwt',
        label: '@fastify/jwt, one JWT repeated',
        peer: true,
        config: jwtPeer('fastify-jwt'),
        tokens: 'jwt1',
        check: 'jwt',
      });
    }
  }
  // NestJS on each of its platforms (`servers/nest.js`): the cached and JWT rows and the peer
  // Nest users reach for, @nestjs/passport + passport-jwt + jwks-rsa, each paired with its
  // own baseline on that platform.
  for (const platform of ['express', 'fastify']) {
    // Not `nest-express`: `--only express:` would pick it up.
    const on = { framework: `nest (${platform})`, file: 'nest.js' };
    const onPlatform = (/** @type {Record<string, unknown>} */ config) => ({ ...config, platform });
    add({
      ...on,
      name: 'baseline',
      label: 'baseline (no auth)',
      baseline: true,
      config: onPlatform({ auth: 'none' }),
    });
    add({ ...on, ...cachedIntrospection, config: onPlatform(cachedIntrospection.config) });
    add({ ...on, ...jwtRepeated, config: onPlatform(jwtRepeated.config) });
    add({
      ...on,
      name: 'passport-jwt',
      label: '@nestjs/passport + passport-jwt + jwks-rsa, one JWT repeated',
      peer: true,
      config: onPlatform(jwtPeer('passport-jwt')),
      tokens: 'jwt1',
      check: 'jwt',
    });
  }
  // Hono on Bun and Deno, on their own servers: the cached and JWT rows and the peer, each
  // paired with its own baseline on that runtime.
  for (const runtime of runtimes) {
    const framework = `hono on ${runtime.name}`;
    const on = { framework, file: 'hono.js', runtime: runtime.key };
    add({ ...on, name: 'baseline', label: 'baseline (no auth)', baseline: true });
    add({ ...on, ...cachedIntrospection });
    add({ ...on, ...jwtRepeated });
    add({ ...on, ...jwtEveryTime });
    add({ ...on, ...honoJwt });
  }
  return list;
}
