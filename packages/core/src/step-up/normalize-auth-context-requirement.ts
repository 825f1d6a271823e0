import { TokenGuardConfigError } from '../errors.js';
import type { AuthContextRequirement } from '../types.js';

// RFC 9470 §3 sends the values space-separated in `acr_values`: an acr must be a non-empty
// run of printable ASCII without space, quote or backslash (RFC 6750 §3's attribute set).
const ACR = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Checks a step-up requirement where it is declared; frozen. Throws `TokenGuardConfigError`. */
export function normalizeAuthContextRequirement(
  value: unknown,
  path: string,
): AuthContextRequirement | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenGuardConfigError(path, 'must be an object `{ acr?, maxAgeSec? }`');
  }
  const { acr, maxAgeSec, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new TokenGuardConfigError(`${path}.${unknown}`, 'is not a known option');
  }
  if (
    acr !== undefined &&
    (!Array.isArray(acr) ||
      acr.length === 0 ||
      !acr.every((v) => typeof v === 'string' && ACR.test(v)))
  ) {
    throw new TokenGuardConfigError(
      `${path}.acr`,
      'must be a non-empty list of acr values (no spaces or quotes)',
    );
  }
  if (
    maxAgeSec !== undefined &&
    (typeof maxAgeSec !== 'number' || !Number.isSafeInteger(maxAgeSec) || maxAgeSec < 0)
  ) {
    throw new TokenGuardConfigError(`${path}.maxAgeSec`, 'must be a whole number of seconds ≥ 0');
  }
  if (acr === undefined && maxAgeSec === undefined) {
    throw new TokenGuardConfigError(path, 'must name `acr`, `maxAgeSec` or both');
  }
  return Object.freeze({
    acr: acr === undefined ? undefined : Object.freeze([...(acr as string[])]),
    maxAgeSec: maxAgeSec as number | undefined,
  });
}
