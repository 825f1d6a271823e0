/**
 * Public types shared by the engine and the adapters.
 * Wire types keep RFC spelling (`client_id`); options are camelCase.
 */

/** Node-style header bag: lower-case names, as `http.IncomingMessage#headers`. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The only request model the core knows. Adapters build it in a few lines from their
 * framework's request; every decision about it is taken in the core.
 */
export interface RequestLike {
  /** HTTP method, e.g. `GET`. */
  readonly method: string;
  /** Request URL as received (path and query), e.g. `/items?x=1`. Only parsed when query tokens are allowed. */
  readonly url: string;
  /** Parsed headers with lower-case names. */
  readonly headers: HeaderBag;
  /**
   * Node's `rawHeaders` (name, value, name, value…). Node silently drops a second
   * `Authorization` header from `headers`; the raw list lets the core refuse it (RFC 6750 §2).
   */
  readonly rawHeaders?: readonly string[];
  /**
   * `true` when `headers` come from a Fetch `Headers`, which joins repeated field lines
   * with ", " (RFC 9110 §5.3) and keeps no raw list: a second Authorization field then
   * shows as a list in one value, and the core refuses it as such (RFC 6750 §2).
   */
  readonly combinedHeaders?: boolean;
  /**
   * The parsed request body, when a body parser ran (an object, or the raw urlencoded string).
   * Only read when body tokens are allowed and the content type is `application/x-www-form-urlencoded`.
   */
  readonly body?: unknown;
  /**
   * The connection (Node's `req.socket`): whether it is TLS (the `https` of a DPoP
   * proof's `htu`), the peer address (trusted proxies) and the TLS client certificate
   * (RFC 8705 §3). Read only when DPoP or mTLS is enabled.
   */
  readonly socket?: PeerSocket;
  /**
   * The scheme and authority the runtime served the request at (`https://api.example.com`),
   * from a Fetch `Request.url`, where no socket exists (Bun, Deno, Workers). The base of a
   * DPoP proof's `htu` in place of the socket's TLS state and `Host`. Node adapters leave it out.
   */
  readonly origin?: string;
}

/** The part of a Node `net.Socket` / `tls.TLSSocket` the core reads. */
export interface PeerSocket {
  /** `true` on a TLS socket. */
  readonly encrypted?: boolean;
  readonly remoteAddress?: string;
  /** `tls.TLSSocket#getPeerCertificate`; `raw` is the DER certificate. */
  getPeerCertificate?(detailed: boolean): { readonly raw?: Uint8Array } | null | undefined;
}

/**
 * Reads the token from where the application keeps it (a custom header, a session). Return
 * `undefined` (or `null`, `''`) when the request carries none. Synchronous, since it runs on
 * every request; the token obeys the header's rules (RFC 6750 §2.1 syntax, `maxHeaderBytes`),
 * and a request that also carries a token elsewhere is refused with 400.
 */
export type TokenGetter = (request: RequestLike) => string | undefined | null;

/** Claims in the shape of the identity service's introspection contract, plus any extra claims. */
export interface TokenClaims {
  readonly active: true;
  readonly sub?: string;
  readonly client_id?: string;
  /** Space-separated scope string (RFC 7662 §2.2). */
  readonly scope?: string;
  /** Expiry, seconds since the epoch. */
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly iss?: string;
  readonly aud?: string | readonly string[];
  readonly brand?: string;
  readonly token_type?: string;
  readonly [claim: string]: unknown;
}

/** Which strategy validated a token. */
export type ValidationStrategy = 'introspection' | 'jwt';

/** What the adapters attach as `req.auth` / `request.auth` / `ctx.state.auth`. */
export interface AuthContext {
  /** The validated claims, in the contract's shape whichever strategy ran. */
  readonly claims: TokenClaims;
  /** The token's scopes as a list (from `scope`, or a JWT's `scp`). */
  readonly scopes: readonly string[];
  /** The strategy that validated the token. */
  readonly strategy: ValidationStrategy;
  /**
   * `true` when the identity service was down and this identity comes from a cache entry
   * past its freshness (`cache.staleIfErrorMs`); absent otherwise. Refuse stale identities
   * for sensitive operations (payments, account changes).
   */
  readonly stale?: true;
  /**
   * The issuer that validated the token: the entry of `issuers` (or `resolveIssuer`), or the
   * guard's `issuer` (`jwt.issuer`); `undefined` when the guard names none.
   */
  readonly issuer: string | undefined;
  /**
   * The raw bearer token, for forwarding downstream. Non-enumerable, so that logging or
   * serialising the auth context never leaks it.
   */
  readonly token: string;
  /**
   * How the request proved possession of a sender-constrained token: `'dpop'`
   * (RFC 9449) or `'mtls'` (RFC 8705); absent for a plain bearer token.
   */
  readonly binding?: 'dpop' | 'mtls';
}

/** A required brand: one, any of a list, or chosen per request (multi-brand deployments). */
export type BrandRequirement =
  | string
  | readonly string[]
  | ((request: RequestLike) => string | readonly string[] | undefined);

/** A custom rule on the validated claims; return `false` to refuse with 403. */
export type ClaimsPredicate = (
  auth: AuthContext,
  request: RequestLike,
) => boolean | Promise<boolean>;

/** What a route (or the whole guard) requires of a valid token. */
export interface Requirements {
  /** Every one of these scopes (RFC 6749 §3.3). */
  readonly scopes?: readonly string[];
  /** At least one of these scopes. */
  readonly anyScope?: readonly string[];
  /** The token's own `brand` claim must be (one of) this. */
  readonly brand?: BrandRequirement;
  /** A custom predicate on the claims. */
  readonly predicate?: ClaimsPredicate;
  /** RFC 9470 step-up: how (`acr`) and how recently (`auth_time`) the user authenticated. */
  readonly authContext?: AuthContextRequirement;
  /**
   * RFC 9449 on this route: `'required'` refuses bearer tokens (401 with a DPoP
   * challenge), `'disabled'` refuses DPoP tokens. A route narrows the guard's `dpop`
   * mode; it cannot accept DPoP where the guard does not.
   */
  readonly dpop?: 'disabled' | 'allowed' | 'required';
}

/**
 * RFC 9470: what the user's authentication behind a token must be. Read from the token's
 * `acr` and `auth_time` claims (a JWT's, or an introspection answer's, RFC 9470 §6); a token
 * that does not meet it is refused with 401 `insufficient_user_authentication`, whose
 * challenge tells the client what to ask the authorization server for.
 */
export interface AuthContextRequirement {
  /** Accepted authentication context class references (`acr`); one must match exactly. */
  readonly acr?: readonly string[];
  /** Longest accepted time since the user authenticated (`auth_time`), in seconds. */
  readonly maxAgeSec?: number;
}

/**
 * Where the guard's warnings and upstream failures go. Called `(message, detail)` like
 * `console`, which works as is; a pino logger (pino, Fastify's `app.log`) is recognised and
 * called in its own `(object, message)` order. Messages start with `tokenguard: ` and
 * name the cause of an upstream failure (host:port, refused connection, timeout, HTTP
 * status); they never carry a token or a secret. A request's own pino logger, when the
 * adapter finds one (`request.log`, `req.log`, `ctx.log`), is used first.
 *
 * @example
 * createGuard({ ...options, logger: console });
 * createGuard({ ...options, logger: pino() }); // logged as { code, status, msg }
 */
export interface TokenGuardLogger {
  warn(message: string, detail?: Record<string, unknown>): void;
  error(message: string, detail?: Record<string, unknown>): void;
  /** Optional: one line per refusal with its reason code (never the token). */
  debug?(message: string, detail?: Record<string, unknown>): void;
}
