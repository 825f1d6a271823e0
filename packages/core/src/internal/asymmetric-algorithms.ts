/**
 * The public-key JWS algorithms tokenguard signs or verifies with (RFC 7518 §3.3–3.5,
 * RFC 8037 §3.1, RFC 9864's `Ed25519`). One list, for client assertions and for the JWT
 * allow-list alike.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
