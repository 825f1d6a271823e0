/**
 * Property-based hardening over real HTTP, through every adapter (the conformance harnesses):
 * arbitrary request bytes — Authorization values with obs-text, odd whitespace, any case,
 * duplicates, lengths past the limit, and bytes no HTTP client library would send (CR, LF,
 * NUL, smuggled second requests) — written to a raw socket. Every answer must be a well-formed
 * HTTP response: the guard's 200/400/401/403 exactly as the RFC 6750 §2 model predicts when
 * Node accepts the bytes, or Node's own 400/431 when it refuses them; never a 5xx, never a
 * hang, never a silent close of a request Node accepted, and never a token echoed back.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { GuardOptions } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import express from 'express';
import express4 from 'express4';
import fc from 'fast-check';
import fastify from 'fastify';
import fastify4 from 'fastify4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressHarness } from '../conformance/adapters/express.js';
import { fastifyHarness } from '../conformance/adapters/fastify.js';
import { honoHarness } from '../conformance/adapters/hono.js';
import { koaHarness } from '../conformance/adapters/koa.js';
import {
  type AdapterHarness,
  PASS_ERRORS_STATUS,
  type RunningApp,
} from '../conformance/harness.js';
import {
  authorizationName,
  authorizationValue,
  type CredentialPools,
  forbiddenHeaderUnit,
  headerValueUnit,
  isAcceptedHeaderValue,
  queryString,
  trimOws,
} from './support/arbitraries.js';
import { captureOutput, leakedSecrets } from './support/capture.js';
import { parseBearerChallenge } from './support/challenge-grammar.js';
import { expectedOutcome, type Outcome } from './support/extraction-model.js';
import { fieldValues, type RawExchange, type RawResponse, sendRaw } from './support/raw-http.js';
import { propertyParameters, propertyRuns, propertyTimeoutMs } from './support/runs.js';

const REALM = 'hardening';
const LIMIT = 8192;
/** Node's default limit on the request head is 16 KiB; past it, its own 431 is acceptable. */
const NODE_HEAD_LIMIT = 16 * 1024;
const FORM = 'application/x-www-form-urlencoded';

const HARNESSES: Array<{ harness: AdapterHarness; runs: number }> = [
  { harness: expressHarness('express 5', express), runs: propertyRuns(20) },
  { harness: koaHarness('koa 3', Koa), runs: propertyRuns(20) },
  { harness: fastifyHarness('fastify 5', fastify), runs: propertyRuns(20) },
  { harness: honoHarness(), runs: propertyRuns(20) },
  // The previous majors share the adapters' code paths: a lighter run each.
  { harness: expressHarness('express 4', express4), runs: propertyRuns(100) },
  { harness: koaHarness('koa 2', Koa2), runs: propertyRuns(100) },
  {
    harness: fastifyHarness('fastify 4', fastify4 as unknown as typeof fastify),
    runs: propertyRuns(100),
  },
];

interface Field {
  readonly name: string;
  readonly separator: string;
  readonly value: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('hardening: arbitrary request bytes through every adapter (RFC 6750 §2, RFC 9112)', () => {
  let idp: IdentityServer;
  const output = captureOutput();
  const activeSubs = new Map<string, string>();
  let pools: CredentialPools;
  let tokens: string[];

  beforeAll(async () => {
    idp = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
    for (let i = 0; i < 12; i++) {
      activeSubs.set(idp.mintToken({ sub: `user-${i}` }), `user-${i}`);
    }
    const expired = [idp.mintToken({ expiresInSec: -120 }), idp.mintToken({ expiresInSec: -1 })];
    const unknown = Array.from({ length: 32 }, () => randomBytes(24).toString('base64url'));
    pools = { valid: [...activeSubs.keys()], inactive: expired, unknown };
    tokens = [...pools.valid, ...pools.inactive, ...pools.unknown];
  });

  afterAll(async () => {
    await idp?.close();
  });

  const guardOptions = (): GuardOptions => ({
    realm: REALM,
    allowInsecureHttp: true,
    token: { query: true, body: true },
    logger: output.logger,
    cache: { inactiveTtlMs: 600_000 },
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
      breakerThreshold: 0,
    },
  });

  /** A value with bytes Node refuses spliced in, or a whole smuggling attempt. */
  const forbiddenValue = () =>
    fc.oneof(
      fc
        .tuple(
          authorizationValue(pools, LIMIT),
          fc.array(fc.tuple(fc.nat(), forbiddenHeaderUnit), { minLength: 1, maxLength: 3 }),
        )
        .map(([value, inserts]) =>
          inserts.reduce((v, [at, unit]) => {
            const i = at % (v.length + 1);
            return v.slice(0, i) + unit + v.slice(i);
          }, value),
        ),
      fc
        .constantFrom(...pools.valid)
        .chain((t) =>
          fc.constantFrom(
            `Bearer x\r\nAuthorization: Bearer ${t}`,
            `Bearer x\r\n\r\nGET /protected HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${t}\r\n\r\n`,
            `Bearer ${t}\r\nContent-Length: 5`,
            `Bearer ${t}\r\nTransfer-Encoding: chunked`,
            `Bearer ${t}\0`,
            `Bearer\n ${t}`,
            `Bearer ${t}\r`,
          ),
        ),
    );

  const fields = (): fc.Arbitrary<Field[]> =>
    fc.array(
      fc.record({
        name: authorizationName,
        separator: fc.constantFrom(':', ': ', ':\t', ':  ', ': \t'),
        value: fc.oneof(
          { weight: 8, arbitrary: authorizationValue(pools, LIMIT) },
          { weight: 2, arbitrary: forbiddenValue() },
        ),
      }),
      { minLength: 0, maxLength: 3 },
    );

  const rawCase = () =>
    fc.record({
      post: fc.boolean(),
      fields: fc.oneof(
        { weight: 1, arbitrary: fc.constant<Field[]>([]) },
        { weight: 8, arbitrary: fields().map((f) => f.slice(0, 1)) },
        { weight: 2, arbitrary: fields() },
      ),
      query: fc.option(queryString(pools, LIMIT), { freq: 3 }),
      contentType: fc.constantFrom(undefined, FORM, `${FORM}; charset=utf-8`, 'text/plain'),
      form: fc.option(queryString(pools, LIMIT), { freq: 2 }),
      lookalike: fc.option(
        fc.tuple(
          fc.constantFrom('Proxy-Authorization', 'X-Authorization', 'Cookie'),
          fc.oneof(
            fc.constantFrom(...pools.valid).map((t) => `Bearer ${t}`),
            fc.string({ unit: headerValueUnit, maxLength: 20 }),
          ),
        ),
        { freq: 4 },
      ),
    });

  type RawCase = typeof rawCase extends () => fc.Arbitrary<infer T> ? T : never;

  /** A body only with a content type: Fastify answers 415 to an untyped one, before any guard. */
  const formBody = (c: RawCase) =>
    c.post && c.form !== null && c.contentType !== undefined ? c.form : '';

  function build(c: RawCase): { bytes: Buffer; head: number; text: string } {
    const target = `${c.post ? '/form' : '/protected'}${c.query === null ? '' : `?${c.query}`}`;
    const lines = [`${c.post ? 'POST' : 'GET'} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
    if (c.lookalike !== null) lines.push(`${c.lookalike[0]}: ${c.lookalike[1]}`);
    for (const field of c.fields) lines.push(`${field.name}${field.separator}${field.value}`);
    const body = formBody(c);
    if (c.post) {
      if (c.contentType !== undefined) lines.push(`Content-Type: ${c.contentType}`);
      lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
    }
    lines.push('Connection: close', '', '');
    const head = lines.join('\r\n');
    const text = head + body;
    return { bytes: Buffer.from(text, 'latin1'), head: head.length, text };
  }

  /** What the model says, when Node will hand the request over unchanged; else undefined. */
  function modelFor(c: RawCase, head: number): Outcome | undefined {
    if (!c.fields.every((f) => isAcceptedHeaderValue(f.value))) return undefined;
    if (c.lookalike !== null && !isAcceptedHeaderValue(c.lookalike[1])) return undefined;
    if (head >= NODE_HEAD_LIMIT - 512) return undefined;
    return expectedOutcome(
      {
        method: c.post ? 'POST' : 'GET',
        url: c.query === null ? '/x' : `/x?${c.query}`,
        authorization: c.fields.map((f) => trimOws(f.value)),
        contentType: c.post ? c.contentType : undefined,
        body: formBody(c) || undefined,
      },
      { allowQueryToken: true, allowBodyToken: true, maxHeaderBytes: LIMIT },
      (token) => activeSubs.has(token),
    );
  }

  /** Why one response is unacceptable, or undefined. */
  function responseProblem(response: RawResponse): string | undefined {
    if (response.status >= 500) return `a ${response.status}`;
    const challenges = fieldValues(response, 'www-authenticate');
    if (response.status === 200) {
      const hash = (JSON.parse(response.body.toString('utf8')) as { tokenSha256?: unknown })
        .tokenSha256;
      if (![...activeSubs.keys()].some((t) => sha256(t) === hash)) {
        return '200 for a token that is not an active minted one';
      }
      return undefined;
    }
    if (response.status === PASS_ERRORS_STATUS) {
      // The harness renders every framework error as 418 (harness.ts): acceptable only for the
      // framework's own client error about smuggled bytes (a body-parser 4xx, or Fastify's
      // content-type parser refusing an untyped body) — never for an exception from an adapter.
      const view = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
      const clientError =
        (typeof view.status === 'number' && view.status >= 400 && view.status < 500) ||
        (typeof view.code === 'string' && view.code.startsWith('FST_ERR_CTP_'));
      return view.handledBy === 'framework' && view.isTokenGuardError === false && clientError
        ? undefined
        : `the framework's error handler saw ${JSON.stringify(view)}`;
    }
    if (challenges.length === 0) {
      // Node's (or Fastify's) own answer to bytes its parser refuses: 400, or 431 when too big.
      return response.status === 400 || response.status === 431
        ? undefined
        : `a ${response.status} without a challenge`;
    }
    if (![400, 401, 403].includes(response.status)) return `a challenge on a ${response.status}`;
    if (challenges.length !== 1) return 'several WWW-Authenticate fields';
    const params = parseBearerChallenge(challenges[0] as string);
    if (params === undefined || params.realm !== REALM) {
      return `challenge fails the strict grammar: ${challenges[0]}`;
    }
    if (fieldValues(response, 'cache-control')[0] !== 'no-store') return 'no Cache-Control';
    const body = JSON.parse(response.body.toString('utf8')) as { error?: unknown };
    const expectedError = body.error === 'missing_token' ? undefined : body.error;
    if (params.error !== expectedError) return 'challenge and body disagree';
    return undefined;
  }

  function check(c: RawCase, sent: { text: string; head: number }, exchange: RawExchange) {
    const model = modelFor(c, sent.head);
    const where = `\n  request: ${JSON.stringify(sent.text.slice(0, 400))}`;
    if (exchange.timedOut) throw new Error(`no answer, connection left open${where}`);
    if (exchange.malformed !== undefined) throw new Error(`${exchange.malformed}${where}`);
    const answer = exchange.bytes.toString('latin1');
    const echoed = leakedSecrets(
      answer,
      tokens.filter((t) => sent.text.includes(t)),
    );
    if (echoed.length > 0) throw new Error(`a token was echoed${where}`);
    if (model === undefined) {
      // Node refuses these bytes; it must still answer (a silent close is tolerated only here).
      for (const response of exchange.responses) {
        const problem = responseProblem(response);
        if (problem !== undefined) throw new Error(`${problem}${where}`);
      }
      return exchange.responses[0]?.status ?? 0;
    }
    if (exchange.responses.length !== 1) {
      throw new Error(`${exchange.responses.length} responses to one accepted request${where}`);
    }
    const [response] = exchange.responses as [RawResponse];
    const problem = responseProblem(response);
    if (problem !== undefined) throw new Error(`${problem}${where}`);
    const body = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
    const actual =
      response.status === 200
        ? { status: 200, tokenSha256: body.tokenSha256 }
        : { status: response.status, code: body.error };
    const expected =
      model.status === 200
        ? { status: 200, tokenSha256: sha256(model.token) }
        : { status: model.status, code: model.code };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(
        `answered ${JSON.stringify(actual)}, model expected ${JSON.stringify(expected)}${where}`,
      );
    }
    return response.status;
  }

  for (const { harness, runs } of HARNESSES) {
    describe(harness.name, () => {
      let app: RunningApp;
      beforeAll(async () => {
        app = await harness.createApp({ guardOptions: guardOptions() });
      });
      afterAll(async () => {
        await app?.close();
      });

      it(
        `RFC 6750 §2 / RFC 9112: arbitrary Authorization bytes on a raw socket → a well-formed 200/400/401/403 as modelled, or Node's own 400/431; never a 5xx or an echoed token (${runs} cases)`,
        async () => {
          const port = Number(new URL(app.url).port);
          const statuses: Record<string, number> = {};
          await fc.assert(
            fc.asyncProperty(rawCase(), async (c) => {
              const sent = build(c);
              const status = check(c, sent, await sendRaw(port, sent.bytes));
              const key = `${modelFor(c, sent.head) === undefined ? 'refused-bytes' : 'accepted'}:${status}`;
              statuses[key] = (statuses[key] ?? 0) + 1;
            }),
            propertyParameters(runs),
          );
          if (runs >= 300) {
            for (const key of [
              'accepted:200',
              'accepted:400',
              'accepted:401',
              'refused-bytes:400',
            ]) {
              expect(statuses[key] ?? 0, key).toBeGreaterThan(0);
            }
          }
        },
        propertyTimeoutMs(runs, 30),
      );
    });
  }

  it('nothing was logged at error level, and no log line carried a token', () => {
    expect(output.errors).toEqual([]);
    for (const line of output.lines) expect(leakedSecrets(line, tokens)).toEqual([]);
  });
});
