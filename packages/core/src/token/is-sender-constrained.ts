/**
 * RFC 9449 §7.1 (DPoP) and RFC 8705 §3 (mTLS): a sender-constrained token presented with the
 * plain Bearer scheme proves nothing about its holder. We cannot check the binding, so such
 * tokens are refused whichever strategy validated them.
 */
export function isSenderConstrained(claims: Readonly<Record<string, unknown>>): boolean {
  const tokenType = claims.token_type;
  return (
    claims.cnf !== undefined ||
    (typeof tokenType === 'string' && tokenType.toLowerCase() === 'dpop')
  );
}
