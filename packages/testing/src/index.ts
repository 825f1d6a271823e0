export { createIdentityServer } from './create-identity-server.js';
export { type ClientKeyPair, generateClientKeyPair } from './generate-client-key-pair.js';
export { UNKNOWN_CRIT_PARAMETER, WRONG_AUDIENCE, WRONG_ISSUER } from './mint-jwt.js';
export type {
  BadJwtKind,
  CallCounts,
  ClientRegistration,
  Fault,
  FaultEndpoint,
  IdentityServer,
  IdentityServerOptions,
  JwkSet,
  JwtAlgorithm,
  MintClaims,
  MintJwtClaims,
  MintJwtOptions,
  PublicJwk,
} from './types.js';
