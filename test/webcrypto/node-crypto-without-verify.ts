/**
 * node:crypto as a runtime without its signature check would offer it: everything except
 * `verify`. vitest.webcrypto.config.ts puts it in place of node:crypto, so the JWT suites run
 * through verify-jwt.ts's WebCrypto path with the real WebCrypto doing the checks.
 */
// biome-ignore lint/style/useNodejsImportProtocol: the bare name is not aliased to this file.
export * from 'crypto';
// biome-ignore lint/style/useNodejsImportProtocol: the bare name is not aliased to this file.
export { default } from 'crypto';
export const verify = undefined;
