/**
 * The strict grammar every `WWW-Authenticate` value the guard sends must match.
 *
 * RFC 6750 §3 / RFC 9110 §11.6.1: `Bearer` then, optionally, one space and a comma-separated
 * list of auth-params. We accept only the parameters RFC 6750 §3 defines (`realm`, `error`,
 * `error_description`, `error_uri`, `scope`), each at most once (RFC 9110 §11.2), always as a
 * quoted-string (RFC 9110 §5.6.4) whose content is printable ASCII with `\"` and `\\` as the
 * only escapes: no HTAB, no obs-text, no CR/LF/NUL, nothing a header parser could split on.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';

/** qdtext restricted to printable ASCII (%x20-21 / %x23-5B / %x5D-7E), or a quoted-pair of `"`/`\`. */
const QUOTED_CONTENT = String.raw`(?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\["\\])*`;
const PARAM_NAME = 'realm|error|error_description|error_uri|scope';
const AUTH_PARAM = `(?:${PARAM_NAME})="${QUOTED_CONTENT}"`;

/** The whole header value: `Bearer`, or `Bearer name="…", name="…"`. */
export const BEARER_CHALLENGE = new RegExp(`^Bearer(?: ${AUTH_PARAM}(?:, ${AUTH_PARAM})*)?$`);

const PARAM = new RegExp(`(${PARAM_NAME})="(${QUOTED_CONTENT})"(?:, |$)`, 'y');

export type ChallengeParams = Partial<
  Record<'realm' | 'error' | 'error_description' | 'error_uri' | 'scope', string>
>;

/**
 * Parses a challenge with the strict grammar and unescapes its values; `undefined` when the
 * value does not match or repeats a parameter.
 */
export function parseBearerChallenge(value: string): ChallengeParams | undefined {
  if (!BEARER_CHALLENGE.test(value)) return undefined;
  const params: Record<string, string> = {};
  if (value === 'Bearer') return params;
  PARAM.lastIndex = 'Bearer '.length;
  while (PARAM.lastIndex < value.length) {
    const match = PARAM.exec(value);
    if (match === null) return undefined;
    const [, name, quoted] = match as unknown as [string, string, string];
    if (Object.hasOwn(params, name)) return undefined;
    params[name] = quoted.replace(/\\(["\\])/g, '$1');
  }
  return params;
}

/** RFC 6750 §3: the error codes a guard challenge may carry (ours add brand and predicate refusals). */
export const CHALLENGE_ERRORS = [
  'invalid_request',
  'invalid_token',
  'insufficient_scope',
  'invalid_brand',
  'access_denied',
] as const;

/** Why a rendered error answer is not well formed, or `undefined` when it is. */
export function errorAnswerProblem(
  answer: { status: number; headers: Record<string, string>; body: unknown },
  realm: string,
): string | undefined {
  for (const [name, value] of Object.entries(answer.headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (error) {
      return `header ${name} refused by node:http: ${(error as Error).message}`;
    }
  }
  if (answer.headers['cache-control'] !== 'no-store') return 'no Cache-Control: no-store';
  const body = answer.body as { error?: unknown; error_description?: unknown } | null;
  if (typeof body?.error !== 'string' || typeof body.error_description !== 'string') {
    return 'body is not { error, error_description }';
  }
  // RFC 6750 §3: error_description is NQSCHAR only, whichever place it ends up in.
  if (!/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(body.error_description)) {
    return 'error_description has characters outside RFC 6750 §3';
  }
  const challenge = answer.headers['www-authenticate'];
  if (answer.status >= 500) {
    if (challenge !== undefined) return 'a 5xx carries a challenge';
    return undefined;
  }
  if (challenge === undefined) return 'a 4xx without WWW-Authenticate';
  const params = parseBearerChallenge(challenge);
  if (params === undefined) return `challenge does not match the strict grammar: ${challenge}`;
  if (params.realm !== realm) return `realm is not the configured one: ${challenge}`;
  if (body.error === 'missing_token') {
    // RFC 6750 §3.1: no credentials → no error attribute.
    if (params.error !== undefined) return 'no-token challenge carries an error';
  } else if (params.error !== body.error) {
    return `challenge error ${params.error} differs from body error ${body.error}`;
  } else if (!(CHALLENGE_ERRORS as readonly string[]).includes(params.error)) {
    return `unknown challenge error ${params.error}`;
  }
  return undefined;
}
