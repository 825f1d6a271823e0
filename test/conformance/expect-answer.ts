/**
 * Assertions on HTTP answers, shared by every conformance suite: the README error table's
 * rows, asserted exactly (status, challenge, Cache-Control, Retry-After, body code).
 */
import { expect } from 'vitest';
import type { Answer } from './http.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A refusal with a challenge: status, `WWW-Authenticate`, `Cache-Control` and body code. */
export function expectRefusal(
  answer: Answer,
  status: number,
  challenge: string,
  error: string,
): void {
  expect({
    status: answer.status,
    challenge: answer.headers['www-authenticate'],
    cacheControl: answer.headers['cache-control'],
    retryAfter: answer.headers['retry-after'],
  }).toEqual({ status, challenge, cacheControl: 'no-store', retryAfter: undefined });
  expect(answer.body).toEqual({ error, error_description: expect.any(String) });
}

/** RFC 6750 §3 / README error table: an outage is 503 with Retry-After and no challenge, never a 401. */
export function expectUnavailable(answer: Answer): void {
  expect({
    status: answer.status,
    challenge: answer.headers['www-authenticate'],
    cacheControl: answer.headers['cache-control'],
  }).toEqual({ status: 503, challenge: undefined, cacheControl: 'no-store' });
  expect(answer.headers['retry-after']).toMatch(/^\d+$/);
  expect(answer.body).toEqual({
    error: 'temporarily_unavailable',
    error_description: expect.any(String),
  });
}

/** What a 500 must not reveal of the upstream's answer or of our own credentials. */
const UPSTREAM_DETAIL = /invalid_client|access_denied|injected|assertion|caller|401|403/;

/** Our own credentials refused upstream: 500, no challenge, nothing of the upstream answer. */
export function expectServerError(answer: Answer): void {
  expect({
    status: answer.status,
    challenge: answer.headers['www-authenticate'],
    cacheControl: answer.headers['cache-control'],
    retryAfter: answer.headers['retry-after'],
  }).toEqual({
    status: 500,
    challenge: undefined,
    cacheControl: 'no-store',
    retryAfter: undefined,
  });
  expect(answer.body).toEqual({ error: 'server_error', error_description: expect.any(String) });
  expect(answer.text).not.toMatch(UPSTREAM_DETAIL);
}

export function expectOk(answer: Answer): void {
  expect({ status: answer.status, body: answer.text }).toMatchObject({ status: 200 });
}
