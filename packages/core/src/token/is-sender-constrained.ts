/**
 * RFC 9449 §7.1 (DPoP) and RFC 8705 §3 (mTLS): a sender-constrained token presented with the
 * plain Bearer scheme proves nothing about its holder. We cannot check the binding, so such
 * tokens are refused whichever strategy validated them.
 */
export function isSenderConstrained(claims: Readonly<Record<string, unknown>>): boolean {
  return claims.cnf !== undefined || isDpopTokenType(claims.token_type);
}

/**
 * RFC 9449 §5: `token_type` `DPoP`, compared case-insensitively (RFC 6749 §7.1). Every
 * request reads it: only a four-character value is lower-cased, so a `Bearer` costs nothing.
 */
export function isDpopTokenType(tokenType: unknown): boolean {
  return (
    typeof tokenType === 'string' && tokenType.length === 4 && tokenType.toLowerCase() === 'dpop'
  );
}
