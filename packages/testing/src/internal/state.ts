import type { ClientAuthContext } from '../client-auth.js';
import type { KeyRing } from '../keys.js';

/** Everything the endpoint handlers share: the server's mutable state and its URLs. */
export interface ServerState extends ClientAuthContext {
  url: string;
  introspectionEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  jwksUri: string;
  accessTokenTtlSec: number;
  metadata: { oauth: boolean; openid: boolean };
  keys: KeyRing;
}
