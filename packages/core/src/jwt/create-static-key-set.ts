/**
 * Static public keys as a jose key resolver. Internal to the JWT strategy.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/**
 * Returns a resolver over configured keys. Keys that carry a `kid` are selected by it, as in
 * a JWKS (RFC 7515 §4.1.4). Keys configured without one (a PEM key has none) are the
 * operator's explicit trust anchors: they are tried for any token, whatever its `kid`, so that
 * a single PEM key verifies tokens from an issuer that labels its keys.
 */
export function createStaticKeySet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  const all = createLocalJWKSet(jwks);
  const unlabelled = jwks.keys.filter((jwk) => jwk.kid === undefined);
  const anyKid = unlabelled.length > 0 ? createLocalJWKSet({ keys: unlabelled }) : undefined;
  return async (protectedHeader, token) => {
    try {
      return await all(protectedHeader, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || anyKid === undefined) throw error;
      const { kid: _kid, ...withoutKid } = protectedHeader;
      return anyKid(withoutKid, token);
    }
  };
}
