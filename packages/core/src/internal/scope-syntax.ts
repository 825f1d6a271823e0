/**
 * RFC 6749 §3.3 scope syntax, the one definition:
 * `scope = scope-token *( SP scope-token )`, `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`
 * (printable ASCII except space, `"` and `\`).
 */
const SCOPE_TOKEN_CHARS = '[\\x21\\x23-\\x5B\\x5D-\\x7E]+';

/** One scope token. */
export const SCOPE_TOKEN = new RegExp(`^${SCOPE_TOKEN_CHARS}$`);

/** A `scope` value: scope tokens separated by single spaces. */
export const SCOPE_VALUE = new RegExp(`^${SCOPE_TOKEN_CHARS}(?: ${SCOPE_TOKEN_CHARS})*$`);
