// What a partial snippet about the core's types may use without importing it.
declare type TokenClaims = import('@tokenguard/core').TokenClaims;
