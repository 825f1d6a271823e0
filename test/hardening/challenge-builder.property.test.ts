/**
 * Property-based hardening of the one challenge builder (STYLE "Errors": one builder that
 * escapes every quoted value). Whatever reaches an attribute — a realm from the options, a
 * scope list from a route, an upstream message — the header parses with the strict grammar,
 * round-trips printable ASCII exactly, and can never carry CR, LF or NUL.
 */
import { validateHeaderValue } from 'node:http';
import {
  buildChallenge,
  type ChallengeAttributes,
  createGuard,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  MissingTokenError,
  type TokenGuard,
  TokenGuardConfigError,
  type TokenGuardError,
} from '@tokenguard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileString, printableAsciiString } from './support/arbitraries.js';
import { errorAnswerProblem, parseBearerChallenge } from './support/challenge-grammar.js';
import { propertyParameters, propertyRuns, propertyTimeoutMs } from './support/runs.js';

const RUNS = propertyRuns();

/** RFC 6750 §3 / RFC 9110 §5.6.4: what survives into a quoted-string is printable ASCII. */
const printableOnly = (value: string) => value.replace(/[^\x20-\x7e]/g, '');

const ATTRIBUTES = {
  realm: 'realm',
  error: 'error',
  errorDescription: 'error_description',
  errorUri: 'error_uri',
  scope: 'scope',
} as const;

function attributes(value: fc.Arbitrary<string>): fc.Arbitrary<ChallengeAttributes> {
  return fc.record(
    { realm: value, error: value, errorDescription: value, errorUri: value, scope: value },
    { requiredKeys: [] },
  );
}

/** Checks one built header against its input; `exact` when the input was printable ASCII. */
function checkChallenge(input: ChallengeAttributes, header: string): void {
  expect(header).not.toMatch(/[\r\n\0]/);
  expect(() => validateHeaderValue('www-authenticate', header)).not.toThrow();
  const parsed = parseBearerChallenge(header);
  if (parsed === undefined) throw new Error(`not a strict RFC 6750 challenge: ${header}`);
  const expected: Record<string, string> = {};
  for (const [option, wire] of Object.entries(ATTRIBUTES)) {
    const value = input[option as keyof ChallengeAttributes];
    if (value !== undefined) expected[wire] = printableOnly(value);
  }
  expect(parsed).toEqual(expected);
}

describe('hardening: the challenge builder under arbitrary attribute values (RFC 6750 §3)', () => {
  it(`RFC 9110 §5.6.4: any Unicode (controls, quotes, backslashes, lone surrogates) → a strict challenge, non-printables dropped (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(attributes(hostileString), (input) => {
        checkChallenge(input, buildChallenge(input));
      }),
      propertyParameters(RUNS),
    );
  });

  it(`RFC 9110 §5.6.4: printable ASCII round-trips exactly through escaping (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(attributes(printableAsciiString), (input) => {
        const parsed = parseBearerChallenge(buildChallenge(input));
        for (const [option, wire] of Object.entries(ATTRIBUTES)) {
          expect(parsed?.[wire]).toBe(input[option as keyof ChallengeAttributes]);
        }
      }),
      propertyParameters(RUNS),
    );
  });

  it(`RFC 6750 §3: every error class renders a strict challenge for any realm and scope list (${RUNS} cases)`, () => {
    const refusal = fc.oneof(
      fc.constant(() => new MissingTokenError() as TokenGuardError),
      fc.constant(() => new InvalidTokenError() as TokenGuardError),
      fc.constant(
        () => new InvalidRequestError('The access token is malformed') as TokenGuardError,
      ),
      fc
        .array(hostileString, { maxLength: 4 })
        .map((scopes) => () => new InsufficientScopeError(scopes) as TokenGuardError),
    );
    fc.assert(
      fc.property(refusal, hostileString, (make, realm) => {
        const error = make();
        error.realm = realm;
        const answer = { status: error.status, headers: error.headers, body: error.body };
        // The realm the challenge carries is the printable part of the configured one.
        expect(errorAnswerProblem(answer, printableOnly(realm))).toBeUndefined();
        const scope = parseBearerChallenge(answer.headers['www-authenticate'] as string)?.scope;
        if (error instanceof InsufficientScopeError) {
          expect(scope).toBe(printableOnly(error.requiredScope));
        }
      }),
      propertyParameters(RUNS),
    );
  });

  it(
    `RFC 6750 §3: a guard built with any realm answers a strict challenge (${propertyRuns(10)} guards)`,
    async () => {
      const quiet = { warn() {}, error() {} };
      let built = 0;
      await fc.assert(
        fc.asyncProperty(hostileString, async (realm) => {
          let guard: TokenGuard;
          try {
            guard = createGuard({
              realm,
              logger: quiet,
              jwt: { secret: 'a'.repeat(32), issuer: 'https://issuer.example', audience: 'api' },
            });
          } catch (error) {
            // Refusing an unusable realm at construction is the other acceptable answer.
            expect(error).toBeInstanceOf(TokenGuardConfigError);
            return;
          }
          built++;
          try {
            const error = await guard.authenticate({ method: 'GET', url: '/', headers: {} }).then(
              () => undefined,
              (e: unknown) => e,
            );
            const answer = guard.errorResponse(error);
            expect(answer.status).toBe(401);
            expect(errorAnswerProblem(answer, printableOnly(realm))).toBeUndefined();
          } finally {
            await guard.close();
          }
        }),
        propertyParameters(propertyRuns(10)),
      );
      expect(built).toBeGreaterThan(propertyRuns(10) / 2);
    },
    propertyTimeoutMs(RUNS, 1),
  );
});
