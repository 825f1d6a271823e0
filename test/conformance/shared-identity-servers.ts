/**
 * Identity servers shared by the suites of one test file (token locations, step-up,
 * resource metadata, several issuers): each server generates RSA, EC and Ed25519 keys at
 * start, and a file that started one per suite spent its first seconds on key generation
 * while timing-sensitive suites ran beside it. Closed once, after the file's last suite.
 */
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll } from 'vitest';

const started: Promise<IdentityServer>[] = [];

afterAll(async () => {
  await Promise.all(started.splice(0).map(async (server) => (await server).close()));
});

/** The file's identity server number `index` (0, 1, 2…), started on first use. */
export function sharedIdentityServer(index: number): Promise<IdentityServer> {
  started[index] ??= createIdentityServer();
  return started[index] as Promise<IdentityServer>;
}
