/**
 * Property-based hardening of the one challenge builder (STYLE "Errors": one builder that
 * escapes every quoted value). Whatever reaches an attribute — a realm from the options, a
 * scope list from a route, an upstream message — the header parses with the strict grammar,
 * round-trips printable ASCII exactly, and can never carry CR, LF or NUL.
 */
import { validateHeaderValue } from 'node:http';
import {
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
// The challenge builder is internal: its properties are checked at the source.
import {
  buildChallenge,
  type ChallengeAttributes,
} from '../../packages/core/src/http/build-challenge.js';
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

/**
 * Checks one built header against its input: strict grammar, accepted by node:http, and each
 * attribute the printable part of its input. Plain comparisons: this runs 10,000+ times.
 */
function challengeProblem(input: ChallengeAttributes, header: string): string | undefined {
  if (/[\r\n\0]/.test(header)) return 'CR, LF or NUL in the header';
  try {
    validateHeaderValue('www-authenticate', header);
  } catch (error) {
    return `refused by node:http: ${(error as Error).message}`;
  }
  const parsed = parseBearerChallenge(header);
  if (parsed === undefined) return 'not a strict RFC 6750 challenge';
  const names = Object.keys(parsed);
  for (const [option, wire] of Object.entries(ATTRIBUTES)) {
    const value = input[option as keyof ChallengeAttributes];
    if (value === undefined) {
      if (names.includes(wire)) return `${wire} present without input`;
    } else if (parsed[wire] !== printableOnly(String(value))) {
      return `${wire} is ${JSON.stringify(parsed[wire])}, not the printable part of the input`;
    }
  }
  return undefined;
}

/** Throws with the case when `problem` is set (fast-check then shrinks and reports it). */
function ensure(problem: string | undefined, subject: unknown): void {
  if (problem !== undefined) throw new Error(`${problem}: ${JSON.stringify(subject)}`);
}

describe('hardening: the challenge builder under arbitrary attribute values (RFC 6750 §3)', () => {
  it(`RFC 9110 §5.6.4: any Unicode (controls, quotes, backslashes, lone surrogates) → a strict challenge, non-printables dropped (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(attributes(hostileString), (input) => {
        const header = buildChallenge(input);
        ensure(challengeProblem(input, header), { input, header });
      }),
      propertyParameters(RUNS),
    );
  });

  it(`RFC 9110 §5.6.4: printable ASCII round-trips exactly through escaping (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(attributes(printableAsciiString), (input) => {
        const header = buildChallenge(input);
        const parsed = parseBearerChallenge(header);
        for (const [option, wire] of Object.entries(ATTRIBUTES)) {
          if (parsed?.[wire] !== input[option as keyof ChallengeAttributes]) {
            ensure(`${wire} did not round-trip`, { input, header });
          }
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
        ensure(errorAnswerProblem(answer, printableOnly(realm)), { realm, answer });
        const scope = parseBearerChallenge(answer.headers['www-authenticate'] as string)?.scope;
        if (
          error instanceof InsufficientScopeError &&
          scope !== printableOnly(error.requiredScope)
        ) {
          ensure('scope is not the printable part of the requirement', { realm, answer });
        }
      }),
      propertyParameters(RUNS),
    );
  });

  it(
    `RFC 6750 §3: a guard built with any realm answers a strict challenge (${propertyRuns(20)} guards)`,
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
        propertyParameters(propertyRuns(20)),
      );
      expect(built).toBeGreaterThan(propertyRuns(20) / 2);
    },
    propertyTimeoutMs(RUNS, 1),
  );
});
