/**
 * The README's error table as assertions: what an answer must look like for an outage (503),
 * our own credentials refused (500), and a token verdict (401).
 */
import type { ErrorResponse } from '@tokenguard/core';
import { parseBearerChallenge } from './challenge-grammar.js';

export type TableRow = 503 | 500 | 401;

/** Headers and body as any HTTP client hands them over (lower-case names). */
export interface AnswerView {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/** Why `answer` is not the table's row, or undefined when it is. */
export function tableProblem(
  answer: AnswerView | ErrorResponse,
  row: TableRow,
): string | undefined {
  const headers = answer.headers as Record<string, string | string[] | undefined>;
  const body = answer.body as { error?: unknown; error_description?: unknown } | null;
  const shape = `${answer.status} ${JSON.stringify(headers)} ${JSON.stringify(body)}`;
  if (answer.status !== row) return `expected ${row}, got ${shape}`;
  if (headers['cache-control'] !== 'no-store') return `no Cache-Control: no-store: ${shape}`;
  if (typeof body?.error_description !== 'string') return `no error_description: ${shape}`;
  const challenge = headers['www-authenticate'];
  const retryAfter = headers['retry-after'];
  switch (row) {
    case 503:
      // Outage: Retry-After, no challenge (re-authenticating would not help), fixed code.
      if (body.error !== 'temporarily_unavailable') return `wrong code: ${shape}`;
      if (challenge !== undefined) return `an outage carries a challenge: ${shape}`;
      if (typeof retryAfter !== 'string' || !/^\d+$/.test(retryAfter)) {
        return `no delta-seconds Retry-After: ${shape}`;
      }
      return undefined;
    case 500:
      // Our own credentials: details only in logs, nothing the client could retry or fix.
      if (body.error !== 'server_error') return `wrong code: ${shape}`;
      if (challenge !== undefined || retryAfter !== undefined) return `extra headers: ${shape}`;
      return undefined;
    case 401: {
      if (body.error !== 'invalid_token') return `wrong code: ${shape}`;
      const params = typeof challenge === 'string' ? parseBearerChallenge(challenge) : undefined;
      if (params?.error !== 'invalid_token') return `challenge is not invalid_token: ${shape}`;
      return undefined;
    }
  }
}
