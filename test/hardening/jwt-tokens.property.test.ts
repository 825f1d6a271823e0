/**
 * Property-based hardening of the `auto` strategy (README "Local JWT verification"): arbitrary
 * compact-JWS-shaped tokens — forged headers, `alg: none`, key-supplying headers, tampered and
 * spliced real tokens, random dotted strings — and really signed tokens with odd claims.
 * Only a token the identity server signed with valid RFC 9068 claims is ever accepted; every
 * other answer is a 401 invalid_token with a strict challenge, never a 5xx, and the guard never
 * fetches a key the token points to (RFC 8725 §3.10).
 */
import { randomBytes } from 'node:crypto';
import {
  type AuthContext,
  createGuard,
  isTokenGuardError,
  type TokenGuard,
} from '@tokenguard/core';
import {
  type BadJwtKind,
  createIdentityServer,
  type IdentityServer,
  type JwtAlgorithm,
} from '@tokenguard/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput, leakedSecrets } from './support/capture.js';
import { errorAnswerProblem } from './support/challenge-grammar.js';
import { propertyParameters, propertyRuns, propertyTimeoutMs } from './support/runs.js';

const REALM = 'hardening';
const RUNS = propertyRuns();
const TOLERANCE_SEC = 5;

const BAD_KINDS: BadJwtKind[] = [
  'wrong-key',
  'alg-none',
  'hs256-with-public-key',
  'expired',
  'future-nbf',
  'future-iat',
  'wrong-iss',
  'wrong-aud',
  'wrong-typ',
  'missing-typ',
  'unknown-kid',
  'jku-header',
  'embedded-jwk',
  'x5u-header',
  'crit-header',
  'tampered-payload',
  'missing-exp',
];

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
interface Outcome {
  readonly status: number;
  readonly sub?: unknown;
  readonly code?: string;
}
const REFUSED: Outcome = { status: 401, code: 'invalid_token' };

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token and what it must produce: accepted, refused, or "judge by its claims". */
type Case =
  | { readonly kind: 'valid' | 'refused'; readonly token: string }
  | { readonly kind: 'signed'; readonly token: string; readonly claims: Record<string, unknown> };

describe('hardening: arbitrary JWS-shaped tokens against the auto strategy (RFC 7515, RFC 9068)', () => {
  let idp: IdentityServer;
  let guard: TokenGuard;
  const output = captureOutput();
  const validJwts = new Map<string, string>();
  const signed = new Set<string>();
  let badJwts: string[] = [];
  let kids: string[] = [];

  beforeAll(async () => {
    idp = await createIdentityServer();
    const algs: JwtAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
    for (let i = 0; i < 9; i++) {
      const token = await idp.mintJwt({ sub: `jwt-user-${i}` }, { alg: algs[i % 3] });
      validJwts.set(token, `jwt-user-${i}`);
    }
    badJwts = await Promise.all(BAD_KINDS.map((kind) => idp.mintBadJwt(kind)));
    kids = algs.map((alg) => idp.currentKid(alg));
    guard = createGuard({
      realm: REALM,
      allowInsecureHttp: true,
      logger: output.logger,
      cache: { inactiveTtlMs: 600_000, maxEntries: 100_000 },
      strategy: 'auto',
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
        breakerThreshold: 0,
      },
      jwt: { jwksUri: idp.jwksUri, issuer: idp.issuer, audience: 'api' },
    });
  });

  afterAll(async () => {
    await guard?.close();
    await idp?.close();
  });

  const isNonEmptyString = (value: unknown) => typeof value === 'string' && value !== '';
  /** A scope string, or a list of scope tokens (RFC 6749 §3.3) as JWT issuers send `scp`. */
  const isScope = (value: unknown) =>
    typeof value === 'string' ||
    (Array.isArray(value) && value.every((v) => typeof v === 'string' && !v.includes(' ')));

  /** RFC 9068 §4 and RFC 7519 §4.1, judged from the claims we asked the server to sign. */
  function acceptable(claims: Record<string, unknown>, header: Record<string, unknown>): boolean {
    const now = Date.now() / 1000;
    const typ = String(header.typ).toLowerCase();
    const { exp, nbf, iat, iss, aud } = claims;
    const audiences = Array.isArray(aud) ? aud : [aud];
    return (
      (typ === 'at+jwt' || typ === 'application/at+jwt') &&
      (header.kid === undefined || kids.includes(header.kid as string)) &&
      iss === idp.issuer &&
      audiences.includes('api') &&
      typeof exp === 'number' &&
      exp > now + TOLERANCE_SEC &&
      // Time values are generated far (≥ 100 s) from these boundaries.
      (nbf === undefined || (typeof nbf === 'number' && nbf < now + TOLERANCE_SEC)) &&
      (iat === undefined || (typeof iat === 'number' && iat < now + TOLERANCE_SEC)) &&
      // RFC 9449 §7.1 / RFC 8705 §3: a sender-constrained token is not a bearer token.
      claims.cnf === undefined &&
      !(typeof claims.token_type === 'string' && claims.token_type.toLowerCase() === 'dpop') &&
      // RFC 9068 §2.2 (the default `jwt.requiredClaims`): sub, client_id, iat and jti present
      // with their types; policy claims of the wrong type refuse the token (never dropped).
      isNonEmptyString(claims.sub) &&
      isNonEmptyString(claims.client_id) &&
      isNonEmptyString(claims.jti) &&
      typeof iat === 'number' &&
      (claims.azp === undefined || typeof claims.azp === 'string') &&
      (claims.token_type === undefined || typeof claims.token_type === 'string') &&
      (claims.scope === undefined || isScope(claims.scope)) &&
      (claims.scp === undefined || isScope(claims.scp))
    );
  }

  it(
    `RFC 7515 / RFC 9068 §4: forged, tampered, spliced and random JWS shapes are refused 401; only a signed, valid access token passes (${RUNS} cases)`,
    async () => {
      const valid = [...validJwts.keys()];
      const parts = valid.map((t) => t.split('.') as [string, string, string]);
      const now = Math.floor(Date.now() / 1000);
      const goodClaims = { iss: idp.issuer, aud: 'api', sub: 'forged', exp: now + 3600, iat: now };

      const forged = fc
        .tuple(
          fc.oneof(
            {
              weight: 4,
              arbitrary: fc.record(
                {
                  alg: fc.oneof(
                    fc.constantFrom('none', 'None', 'NONE', 'ES256', 'RS256', 'HS256', 'EdDSA', ''),
                    fc.string(),
                  ),
                  kid: fc.oneof(fc.constantFrom(...kids), fc.string()),
                  typ: fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'),
                  jku: fc.constant(`${idp.url}/attacker/jwks.json`),
                  x5u: fc.constant(`${idp.url}/attacker/cert.pem`),
                  crit: fc.constantFrom(['exp'], ['b64'], [], 'x'),
                  b64: fc.boolean(),
                },
                { requiredKeys: ['alg'] },
              ),
            },
            // Not a JOSE header at all: routed to introspection, so kept rare (one call each).
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
          ),
          fc.oneof(fc.constant<unknown>(goodClaims), fc.jsonValue({ maxDepth: 2 })),
          fc.oneof(
            fc.constant(''),
            fc.integer({ min: 0, max: parts.length - 1 }).map((i) => parts[i]?.[2] ?? ''),
            fc.constantFrom(32, 64, 256).map((n) => randomBytes(n).toString('base64url')),
          ),
        )
        .map(
          ([h, p, sig]): Case => ({
            kind: 'refused',
            token: `${segment(h)}.${segment(p)}.${sig}`,
          }),
        );

      const tampered = fc
        .tuple(
          fc.integer({ min: 0, max: valid.length - 1 }),
          // Mostly payload and signature: a broken header routes to introspection (a call each).
          fc.constantFrom(0, 1, 1, 1, 2, 2, 2, 2),
          fc.nat(),
          fc.constantFrom(...B64URL.split('')),
        )
        .map(([i, which, at, replacement]): Case | undefined => {
          const split = [...(parts[i] as [string, string, string])];
          const part = split[which] as string;
          // The last signature character carries unused bits: changing it may not change
          // the decoded signature, so it is left alone (header and payload are signed as text).
          const span = which === 2 ? part.length - 1 : part.length;
          const position = at % span;
          if (part[position] === replacement) return undefined;
          split[which] = part.slice(0, position) + replacement + part.slice(position + 1);
          return { kind: 'refused', token: split.join('.') };
        })
        .filter((c): c is Case => c !== undefined);

      const spliced = fc
        .tuple(
          fc.integer({ min: 0, max: valid.length - 1 }),
          fc.integer({ min: 0, max: valid.length - 1 }),
          fc.integer({ min: 0, max: 2 }),
        )
        .filter(([a, b]) => a !== b)
        .map(([a, b, which]): Case => {
          const split = [...(parts[a] as [string, string, string])];
          split[which] = (parts[b] as [string, string, string])[which] as string;
          return { kind: 'refused', token: split.join('.') };
        })
        .filter((c) => !validJwts.has(c.token));

      const dotted = fc
        .array(fc.string({ unit: fc.constantFrom(...B64URL.split('')), minLength: 1 }), {
          minLength: 2,
          maxLength: 5,
        })
        .map((segments): Case => ({ kind: 'refused', token: segments.join('.') }));

      // Shapes that are not a compact JWS go to introspection, one real call each: they are
      // kept to a few percent here (the extraction properties cover that path at volume).
      const anyCase: fc.Arbitrary<Case> = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(...valid).map((token): Case => ({ kind: 'valid', token })),
        },
        {
          weight: 4,
          arbitrary: fc.constantFrom(...badJwts).map((token): Case => ({ kind: 'refused', token })),
        },
        { weight: 10, arbitrary: forged },
        { weight: 8, arbitrary: tampered },
        { weight: 3, arbitrary: spliced },
        { weight: 1, arbitrary: dotted },
      );

      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(
          anyCase,
          fc.constantFrom('Bearer', 'bearer', 'BEARER'),
          async (c, scheme) => {
            const outcome = await run(`${scheme} ${c.token}`);
            if (c.kind === 'valid') {
              same(outcome, { status: 200, sub: validJwts.get(c.token) });
              accepted++;
            } else {
              same(outcome, REFUSED);
            }
          },
        ),
        propertyParameters(RUNS),
      );
      if (RUNS >= 1000) expect(accepted).toBeGreaterThan(RUNS / 100);
      // RFC 8725 §3.10: a key URL named by the token is never fetched.
      expect(idp.calls.attacker).toBe(0);
    },
    propertyTimeoutMs(RUNS, 2),
  );

  it(
    `RFC 9068 §4 / RFC 7519 §4.1: tokens really signed by the issuer with odd claims and headers → 200 exactly when iss, aud, exp, nbf, iat, typ and the RFC 9068 claims are valid, else 401 (${propertyRuns(10)} cases)`,
    async () => {
      const now = Math.floor(Date.now() / 1000);
      const time = (extra: unknown[]) =>
        fc.constantFrom<unknown>(now + 3600, now - 3600, now + 100, now - 100, 1e300, -1, ...extra);
      const oddClaims = fc.record(
        {
          exp: time(['soon', null, now + 100.5, true, [now + 3600]]),
          nbf: time(['x', null]),
          iat: time(['now', null, now + 0.5 - 200]),
          iss: fc.constantFrom<unknown>(
            idp.issuer,
            `${idp.issuer}/`,
            'https://evil.invalid',
            42,
            null,
          ),
          aud: fc.constantFrom<unknown>(
            'api',
            ['api'],
            ['other', 'api'],
            'other',
            42,
            [],
            [42],
            null,
          ),
          sub: fc.constantFrom<unknown>('alice', 42, null, {}, '', 'a'.repeat(1000)),
          scope: fc.constantFrom<unknown>('a b', '  a  b ', ['a', 'b'], ['a b'], 42, null, ''),
          scp: fc.constantFrom<unknown>(['x', 'y'], 'x y', 7),
          client_id: fc.constantFrom<unknown>('web', 42, null),
          azp: fc.constantFrom<unknown>('azp-client', 1),
          brand: fc.constantFrom<unknown>('acme', ['acme'], 0),
          token_type: fc.constantFrom<unknown>('Bearer', 'DPoP', 5),
          active: fc.constantFrom<unknown>(false, 'false', 0),
          cnf: fc.constantFrom<unknown>({ jkt: 'thumbprint' }, { 'x5t#S256': 'x' }),
        },
        { requiredKeys: [] },
      );
      // At most two odd claims per token, so that fully valid tokens are common too.
      const claims = fc
        .tuple(oddClaims, fc.nat())
        .map(([all, pick]) =>
          Object.fromEntries(Object.entries(all).filter((_, i) => (pick >> (i % 30)) % 7 === 0)),
        );
      const header = fc.record(
        {
          typ: fc.constantFrom('at+jwt', 'at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'jwt'),
          kid: fc.constant('not-a-kid'),
        },
        { requiredKeys: ['typ'] },
      );
      const alg = fc.constantFrom<JwtAlgorithm>('ES256', 'ES256', 'EdDSA', 'EdDSA', 'RS256');

      let accepted = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(claims, header, alg, async (extra, head, algorithm) => {
          const token = await idp.mintJwt({ extra }, { alg: algorithm, header: head });
          signed.add(token);
          const [, payloadPart] = token.split('.') as [string, string, string];
          const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
          const outcome = await run(`Bearer ${token}`, payload);
          if (acceptable(payload, head)) {
            same(outcome, {
              status: 200,
              sub: typeof payload.sub === 'string' ? payload.sub : undefined,
            });
            accepted++;
          } else {
            same(outcome, REFUSED);
            refused++;
          }
        }),
        propertyParameters(propertyRuns(10)),
      );
      if (propertyRuns(10) >= 1000) {
        expect(accepted).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      }
    },
    propertyTimeoutMs(RUNS, 2),
  );

  it('no log line carried a token during the properties', () => {
    expect(output.errors).toEqual([]);
    const tokens = [...validJwts.keys(), ...badJwts, ...signed];
    for (const line of output.lines) expect(leakedSecrets(line, tokens)).toEqual([]);
  });

  /** A cheap equality check for the hot loop (`expect` costs more than the request here). */
  function same(actual: Outcome, expected: Outcome): void {
    if (
      actual.status !== expected.status ||
      actual.sub !== expected.sub ||
      actual.code !== expected.code
    ) {
      throw new Error(`answered ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  }

  /** One request; checks the invariants every answer must meet and returns its outcome. */
  async function run(
    authorization: string,
    signedPayload?: Record<string, unknown>,
  ): Promise<Outcome> {
    let auth: AuthContext | undefined;
    try {
      auth = await guard.authenticate({ method: 'GET', url: '/', headers: { authorization } });
    } catch (error) {
      if (!isTokenGuardError(error)) throw new Error(`not a TokenGuardError: ${String(error)}`);
      const answer = guard.errorResponse(error);
      const problem = errorAnswerProblem(answer, REALM);
      if (problem !== undefined) throw new Error(problem);
      return { status: answer.status, code: answer.body.error };
    }
    if (auth === undefined) throw new Error('resolved without an auth context');
    // Whatever the token said, the auth context has the contract's types (README "The auth context").
    const { claims, scopes } = auth;
    if (
      claims.active !== true ||
      auth.strategy !== 'jwt' ||
      !Array.isArray(scopes) ||
      !scopes.every((s) => typeof s === 'string' && s !== '' && !s.includes(' ')) ||
      !['string', 'undefined'].includes(typeof claims.sub) ||
      !['string', 'undefined'].includes(typeof claims.scope) ||
      !['string', 'undefined'].includes(typeof claims.client_id) ||
      !['string', 'undefined'].includes(typeof claims.brand)
    ) {
      throw new Error(`accepted with ill-typed claims: ${JSON.stringify({ claims, scopes })}`);
    }
    if (signedPayload === undefined && !validJwts.has(auth.token)) {
      throw new Error('accepted a token the identity server did not sign');
    }
    return { status: 200, sub: claims.sub };
  }
});
