/**
 * Property-based hardening of token extraction and the error answer, at the core level
 * (adversarial inputs): for arbitrary Authorization values, duplicates, lookalike
 * headers, query strings and form bodies, `guard.authenticate` resolves only for a token the
 * identity server minted, and otherwise rejects with a TokenGuardError whose status and code
 * are exactly what an independent model of RFC 6750 §2 predicts — never a 5xx, never another
 * kind of exception — and whose rendered answer passes the strict challenge grammar and
 * `http.validateHeaderValue`. A real @tokenguard/testing server answers every introspection.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import {
  type AuthContext,
  createGuard,
  type GuardOptions,
  isTokenGuardError,
  type RequestLike,
  type TokenGuard,
  TokenGuardError,
} from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationName,
  authorizationValue,
  type CredentialPools,
  freshB64Token,
  headerValueUnit,
  queryString,
  trimOws,
} from './support/arbitraries.js';
import { captureOutput, leakedSecrets } from './support/capture.js';
import { errorAnswerProblem } from './support/challenge-grammar.js';
import { expectedOutcome, type ModelRequest, type Outcome } from './support/extraction-model.js';
import { propertyParameters, propertyRuns, propertyTimeoutMs } from './support/runs.js';

const REALM = 'hardening';
const RUNS = propertyRuns();
/** A small header limit keeps "past the limit" cases cheap to generate; the rule is the same. */
const SMALL_LIMIT = 1024;
const DEFAULT_LIMIT = 8192;

/** Lookalike fields that must never be read as the Authorization header. */
const LOOKALIKES = ['Proxy-Authorization', 'X-Authorization', 'Authorisation', 'Cookie'] as const;

describe('hardening: arbitrary requests against the core guard (RFC 6750 §2, §3)', () => {
  let idp: IdentityServer;
  const output = captureOutput();
  /** sub of every active minted opaque token. */
  const activeSubs = new Map<string, string>();
  let pools: CredentialPools;
  const guards: TokenGuard[] = [];

  beforeAll(async () => {
    idp = await createIdentityServer();
    for (let i = 0; i < 16; i++) {
      activeSubs.set(idp.mintToken({ sub: `user-${i}`, scope: 'orders:read' }), `user-${i}`);
    }
    const inactive = [];
    for (let i = 0; i < 4; i++) inactive.push(idp.mintToken({ expiresInSec: -120 }));
    for (let i = 0; i < 4; i++) {
      const revoked = idp.mintToken();
      idp.revoke(revoked);
      inactive.push(revoked);
    }
    const unknown = Array.from({ length: 48 }, () => randomBytes(24).toString('base64url'));
    pools = { valid: [...activeSubs.keys()], inactive, unknown };
  });

  afterAll(async () => {
    await Promise.all(guards.map((g) => g.close()));
    await idp?.close();
  });

  function guardWith(extra: Partial<GuardOptions>): TokenGuard {
    const guard = createGuard({
      realm: REALM,
      allowInsecureHttp: true,
      logger: output.logger,
      // Unknown tokens stay negatively cached for the whole run: the pool costs one call each.
      cache: { inactiveTtlMs: 600_000, maxEntries: 100_000 },
      ...extra,
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
        http: { timeoutMs: 5000 },
        breakerThreshold: 0,
      },
    });
    guards.push(guard);
    return guard;
  }

  const secrets = () => [
    ...pools.valid,
    ...pools.inactive,
    ...pools.unknown,
    idp.callerToken,
    idp.defaultClient.clientSecret,
  ];

  /**
   * Runs one request and checks every invariant; returns the status for the statistics.
   * Plain comparisons rather than `expect`: this runs tens of thousands of times.
   */
  async function check(
    guard: TokenGuard,
    request: RequestLike,
    expected: Outcome | undefined,
  ): Promise<number> {
    let auth: AuthContext | undefined;
    let error: unknown;
    try {
      auth = await guard.authenticate(request);
    } catch (caught) {
      error = caught;
    }
    const fail = (problem: string) => {
      throw new Error(`${problem}\n  request: ${JSON.stringify(request).slice(0, 600)}`);
    };
    if (error === undefined) {
      // Resolves only for a token the identity server minted, with that token's own claims.
      if (auth === undefined) return fail('resolved without an auth context');
      if (activeSubs.get(auth.token) !== auth.claims.sub || auth.claims.active !== true) {
        return fail('resolved for a token the identity server did not mint as active');
      }
      if (expected !== undefined && (expected.status !== 200 || expected.token !== auth.token)) {
        return fail(`resolved (200), model expected ${JSON.stringify(expected)}`);
      }
      return 200;
    }
    if (!isTokenGuardError(error) || !(error instanceof TokenGuardError)) {
      return fail(`rejected with something other than a TokenGuardError: ${String(error)}`);
    }
    if (error.status !== 400 && error.status !== 401 && error.status !== 403) {
      return fail(`rejected with status ${error.status} (${error.code}: ${error.message})`);
    }
    const answer = guard.errorResponse(error);
    if (answer.status !== error.status) return fail('errorResponse changed the status');
    const problem = errorAnswerProblem(answer, REALM);
    if (problem !== undefined) return fail(problem);
    if (
      expected !== undefined &&
      (expected.status !== answer.status ||
        !('code' in expected) ||
        expected.code !== answer.body.error)
    ) {
      return fail(
        `answered ${answer.status} ${answer.body.error}, model expected ${JSON.stringify(expected)}`,
      );
    }
    const rendered = JSON.stringify(answer);
    const leaks = [
      ...leakedSecrets(rendered, pools.valid),
      ...leakedSecrets(rendered, pools.unknown),
    ];
    if (leaks.length > 0) return fail('the answer echoes a token');
    return answer.status;
  }

  /** Statistics per property: every outcome class must actually be generated. */
  function tally() {
    const counts: Record<number, number> = {};
    return {
      add(status: number) {
        counts[status] = (counts[status] ?? 0) + 1;
      },
      expectCoverage(statuses: number[]) {
        if (RUNS < 1000) return;
        for (const status of statuses) expect(counts[status] ?? 0).toBeGreaterThan(RUNS / 200);
      },
    };
  }

  /** Lookalike fields, some carrying a valid token: none of them may authenticate. */
  const lookalikes = () =>
    fc.array(
      fc.tuple(
        fc.constantFrom(...LOOKALIKES),
        fc.oneof(
          fc.constantFrom(...pools.valid).map((t) => `Bearer ${t}`),
          fc.constantFrom(...pools.valid).map((t) => `access_token=${t}`),
          fc.string({ unit: headerValueUnit, maxLength: 20 }),
        ),
      ),
      { maxLength: 2 },
    );

  /** 0, 1 (most often) or 2–3 Authorization fields. */
  const authorizationFields = (limit: number) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant<string[]>([]) },
      { weight: 8, arbitrary: authorizationValue(pools, limit).map((v) => [v]) },
      {
        weight: 2,
        arbitrary: fc.array(authorizationValue(pools, limit), { minLength: 2, maxLength: 3 }),
      },
    );

  /**
   * A RequestLike exactly as Node builds it from the wire: values OWS-trimmed, a repeated
   * Authorization kept only in `rawHeaders` (Node drops it from `headers`).
   */
  function nodeRequest(input: {
    method: string;
    url: string;
    authorization: string[];
    names: string[];
    extras: Array<[string, string]>;
    contentType?: string;
    body?: unknown;
  }): { request: RequestLike; model: ModelRequest } {
    const trim = trimOws;
    const authorization = input.authorization.map(trim);
    const rawHeaders: string[] = ['Host', '127.0.0.1'];
    const headers: Record<string, string> = { host: '127.0.0.1' };
    for (const [name, value] of input.extras) {
      rawHeaders.push(name, trim(value));
      headers[name.toLowerCase()] = trim(value);
    }
    authorization.forEach((value, i) => {
      rawHeaders.push(input.names[i] ?? 'Authorization', value);
    });
    if (authorization[0] !== undefined) headers.authorization = authorization[0];
    if (input.contentType !== undefined) {
      rawHeaders.push('Content-Type', trim(input.contentType));
      headers['content-type'] = trim(input.contentType);
    }
    const request = { method: input.method, url: input.url, headers, rawHeaders, body: input.body };
    const model = {
      method: input.method,
      url: input.url,
      authorization,
      contentType: headers['content-type'],
      body: input.body,
    };
    return { request, model };
  }

  it(
    `RFC 6750 §2.1, §3.1: any Authorization bytes (0–3 fields, any case, any length) → 200 only for a minted token, else the modelled 400/401 with a strict challenge (${RUNS} cases)`,
    async () => {
      const guard = guardWith({ token: { maxHeaderBytes: SMALL_LIMIT } });
      const stats = tally();
      const nodeCase = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'),
        authorization: authorizationFields(SMALL_LIMIT),
        names: fc.array(authorizationName, { minLength: 3, maxLength: 3 }),
        extras: lookalikes(),
      });
      await fc.assert(
        fc.asyncProperty(nodeCase, async (input) => {
          const { request, model } = nodeRequest({ ...input, url: '/resource' });
          const expected = expectedOutcome(
            model,
            { allowQueryToken: false, allowBodyToken: false, maxHeaderBytes: SMALL_LIMIT },
            (token) => activeSubs.has(token),
          );
          stats.add(await check(guard, request, expected));
        }),
        propertyParameters(RUNS),
      );
      stats.expectCoverage([200, 400, 401]);
    },
    propertyTimeoutMs(RUNS, 2),
  );

  it(
    `RFC 6750 §2: a RequestLike no Node server would build (untrimmed values, header arrays, no rawHeaders) is still only ever 200/400/401/403 (${RUNS} cases)`,
    async () => {
      const guard = guardWith({ token: { maxHeaderBytes: SMALL_LIMIT } });
      const stats = tally();
      const oddCase = fc.record({
        values: fc.array(authorizationValue(pools, SMALL_LIMIT), { minLength: 0, maxLength: 3 }),
        asArray: fc.boolean(),
        withRawHeaders: fc.boolean(),
        lead: fc.constantFrom(' ', '\t', ' \t '),
      });
      await fc.assert(
        fc.asyncProperty(oddCase, async ({ values, asArray, withRawHeaders, lead }) => {
          const untrimmed = values.map((v, i) => (i % 2 === 0 ? `${lead}${v}${lead}` : v));
          const authorization =
            untrimmed.length === 0
              ? undefined
              : asArray || untrimmed.length > 1
                ? untrimmed
                : untrimmed[0];
          const request: RequestLike = {
            method: 'GET',
            url: '/resource',
            headers: authorization === undefined ? {} : { authorization },
            rawHeaders: withRawHeaders ? untrimmed.flatMap((v) => ['authorization', v]) : undefined,
          };
          stats.add(await check(guard, request, undefined));
        }),
        propertyParameters(RUNS),
      );
      stats.expectCoverage([400, 401]);
    },
    propertyTimeoutMs(RUNS, 2),
  );

  it(
    `RFC 6750 §2.2, §2.3: header, query and form body together (when enabled) → exactly the modelled outcome, one method only (${RUNS} cases)`,
    async () => {
      const guard = guardWith({ token: { query: true, body: true } });
      const stats = tally();
      const contentType = fc.constantFrom(
        undefined,
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=utf-8',
        'APPLICATION/X-WWW-FORM-URLENCODED',
        'application/x-www-form-urlencoded ;charset=UTF-8',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
      );
      const mixedCase = fc.record({
        method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'HEAD', 'DELETE'),
        authorization: fc.oneof(
          { weight: 3, arbitrary: fc.constant<string[]>([]) },
          { weight: 2, arbitrary: authorizationValue(pools, DEFAULT_LIMIT).map((v) => [v]) },
          {
            weight: 1,
            arbitrary: fc.array(authorizationValue(pools, DEFAULT_LIMIT), {
              minLength: 2,
              maxLength: 2,
            }),
          },
        ),
        names: fc.array(authorizationName, { minLength: 3, maxLength: 3 }),
        query: fc.option(queryString(pools, DEFAULT_LIMIT), { freq: 2 }),
        contentType,
        form: fc.option(queryString(pools, DEFAULT_LIMIT), { freq: 3 }),
        formAsObject: fc.boolean(),
        extras: lookalikes(),
      });
      await fc.assert(
        fc.asyncProperty(mixedCase, async (input) => {
          const url = input.query === null ? '/resource' : `/resource?${input.query}`;
          // Express-style parsers hand over an object (repeated names become arrays); others
          // leave the raw urlencoded string.
          const body =
            input.form === null
              ? undefined
              : input.formAsObject
                ? parseQueryString(input.form)
                : input.form;
          const { request, model } = nodeRequest({
            ...input,
            url,
            contentType: input.contentType,
            body,
          });
          const expected = expectedOutcome(
            model,
            { allowQueryToken: true, allowBodyToken: true, maxHeaderBytes: DEFAULT_LIMIT },
            (token) => activeSubs.has(token),
          );
          stats.add(await check(guard, request, expected));
        }),
        propertyParameters(RUNS),
      );
      stats.expectCoverage([200, 400, 401]);
    },
    propertyTimeoutMs(RUNS, 2),
  );

  it('no log line or diagnostics message carried a token or secret during the properties', () => {
    // Only refusals the model calls 400/401 were produced, none of which should be logged.
    expect(output.errors).toEqual([]);
    for (const line of output.lines) expect(leakedSecrets(line, secrets())).toEqual([]);
  });

  it(
    `RFC 6750 §2.1: the fresh-token slow path (every case a never-seen b64token) stays a plain 401 (${propertyRuns(20)} cases)`,
    async () => {
      // Bounded so CI stays fast: each case here is one real introspection call.
      const runs = propertyRuns(20);
      const guard = guardWith({});
      await fc.assert(
        fc.asyncProperty(freshB64Token, fc.uuid(), async (token, salt) => {
          // The salt goes first: a b64token may end in `=` padding.
          const fresh = `${salt.replaceAll('-', '')}${token}`;
          await check(
            guard,
            { method: 'GET', url: '/', headers: { authorization: `Bearer ${fresh}` } },
            { status: 401, code: 'invalid_token' },
          );
        }),
        propertyParameters(runs),
      );
    },
    propertyTimeoutMs(RUNS, 2),
  );
});
