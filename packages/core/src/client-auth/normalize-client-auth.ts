/**
 * Validates `introspection.clientAuth` once, at construction (a wrong credential option is a
 * configuration error, never a 500 discovered per request), into a frozen copy.
 * Error messages name the option path and what was expected; they never contain a value,
 * since several of these values are secrets.
 */
import { TokenGuardConfigError } from '../errors.js';
import { CLIENT_AUTH_METHOD_NAMES, CLIENT_AUTH_METHODS } from './client-auth-methods.js';
import type { ClientAuthMethod, NormalizedClientAuth } from './client-auth-types.js';

/**
 * Validates a `ClientAuthentication` option and returns a frozen, normalised copy:
 * - `bearer`: `token` is a non-empty RFC 6750 b64token string, or a function.
 * - `client_secret_basic` / `client_secret_post`: non-empty `clientId` and `clientSecret`.
 * - `private_key_jwt`: `clientId`, and a private key the `alg` can sign with; `alg` defaults
 *   to RS256 for RSA keys, ES256/384/512 by EC curve, EdDSA for Ed25519 (or the JWK's `alg`);
 *   `privateKey` comes back as a `KeyObject` (a `CryptoKey` is kept as given).
 * - `client_credentials`: `clientId`; `tokenEndpoint` (optional, default discovery's) an
 *   absolute https URL (http only with `allowInsecureHttp`) without credentials or fragment;
 *   `tokenEndpointAuthMethod` (default `client_secret_basic`) with its secret or key;
 *   `scope` RFC 6749 §3.3 syntax; `resource` one or more absolute URIs without fragment
 *   (RFC 8707 §2), returned as a frozen array; `refreshSkewSec` seconds, default 30.
 *
 * Unknown keys (including another method's keys) are refused. The secret fields
 * (`token` when a string, `clientSecret`, `privateKey`) are non-enumerable on the result,
 * so printing or JSON-serialising the normalised options never shows them; read them by name.
 *
 * @param path the option path used in error messages, e.g. `introspection.clientAuth`.
 * @throws TokenGuardConfigError naming `${path}.<field>`.
 *
 * @example
 * const auth = normalizeClientAuth(
 *   { method: 'client_secret_basic', clientId: 'rs', clientSecret: process.env.SECRET },
 *   'introspection.clientAuth',
 *   { allowInsecureHttp: false },
 * );
 * JSON.stringify(auth); // {"method":"client_secret_basic","clientId":"rs"}
 */
export function normalizeClientAuth(
  value: unknown,
  path: string,
  opts: { readonly allowInsecureHttp: boolean },
): NormalizedClientAuth {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenGuardConfigError(path, 'must be an object with a `method`');
  }
  const raw: Record<string, unknown> = { ...value };
  const method = raw.method;
  if (!isMethod(method)) {
    throw new TokenGuardConfigError(
      `${path}.method`,
      `must be one of ${CLIENT_AUTH_METHOD_NAMES.map((m) => `'${m}'`).join(', ')}`,
    );
  }
  const entry = CLIENT_AUTH_METHODS[method];
  for (const key of Object.keys(raw)) {
    if (!entry.keys.includes(key)) {
      throw new TokenGuardConfigError(
        `${path}.${printable(key)}`,
        `is not an option of method '${method}'`,
      );
    }
  }
  return entry.normalize(raw, path, opts.allowInsecureHttp);
}

function isMethod(value: unknown): value is ClientAuthMethod {
  return typeof value === 'string' && Object.hasOwn(CLIENT_AUTH_METHODS, value);
}

/** An unknown key is echoed in the error (it names the option), but bounded and printable. */
function printable(key: string): string {
  const clean = key.replace(/[^\x20-\x7E]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
