// @ts-check
/**
 * Correctness gate before any measurement: a scenario that answers fast but wrongly is a
 * failure, not a win. Authenticated scenarios must answer 200 to a valid token, 401 to no
 * token and 401 to a tampered one; baselines must answer 200.
 */
import { request } from 'undici';

/**
 * @param {string} url
 * @param {string | undefined} authorization
 */
async function statusOf(url, authorization) {
  const { statusCode, body } = await request(`${url}/`, {
    headers: authorization === undefined ? {} : { authorization },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  await body.dump();
  return statusCode;
}

/**
 * @param {string} url
 * @param {{ valid?: string, tampered?: string }} tokens none for a baseline
 * @returns {Promise<string[]>} the failed expectations (empty when correct)
 */
export async function checkScenario(url, tokens) {
  /** @type {Array<[string, string | undefined, number]>} */
  const cases =
    tokens.valid === undefined
      ? [['no auth (baseline)', undefined, 200]]
      : [
          ['valid token', `Bearer ${tokens.valid}`, 200],
          ['no token', undefined, 401],
          ['tampered token', `Bearer ${tokens.tampered}`, 401],
        ];
  const failures = [];
  for (const [what, authorization, expected] of cases) {
    try {
      const got = await statusOf(url, authorization);
      if (got !== expected) failures.push(`${what}: expected ${expected}, got ${got}`);
    } catch (error) {
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}

/**
 * A copy of an opaque token with one character changed, so the identity service does not
 * know it.
 * @param {string} token
 */
export function tamperOpaque(token) {
  const i = token.length >> 1;
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}
