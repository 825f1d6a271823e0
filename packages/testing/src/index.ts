export {
  certificateBinding,
  createTestCertificate,
  type TestCertificate,
} from './certificates.js';
export { createIdentityServer } from './create-identity-server.js';
export {
  accessTokenHash,
  type BadDpopProofKind,
  createBadDpopProof,
  createDpopKey,
  createDpopProof,
  type DpopKey,
  type DpopProofOptions,
  dpopBinding,
} from './dpop.js';
export { type ClientKeyPair, generateClientKeyPair } from './generate-client-key-pair.js';
export { UNKNOWN_CRIT_PARAMETER, WRONG_AUDIENCE, WRONG_ISSUER } from './mint-jwt.js';
export type { RedisNodeProcess } from './redis-node-process.js';
export { CAEP_CREDENTIAL_CHANGE, CAEP_SESSION_REVOKED } from './security-events.js';
export {
  type RedisCluster,
  type RedisClusterNode,
  type RedisClusterOptions,
  type RedisClusterShard,
  type SlotMigration,
  startRedisCluster,
} from './start-redis-cluster.js';
export {
  type RedisSentinelOptions,
  type RedisSentinelSetup,
  startRedisSentinel,
} from './start-redis-sentinel.js';
export {
  type RedisServer,
  type RedisServerOptions,
  startRedisServer,
} from './start-redis-server.js';
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
  PushResult,
  SecurityEventOptions,
  SubjectIdentifier,
} from './types.js';
