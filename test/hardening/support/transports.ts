/**
 * The guard's two outbound transports, as the fault tests drive them on Node: undici's pool
 * (the default wherever undici can dispatch) and a WHATWG `fetch` (the default where it
 * cannot, as on Bun; here `http.fetch` on a pool the test owns, so a test can see every
 * socket closed once that pool is).
 */
import type { GuardOptions } from '@tokenguard/core';
import { Agent, fetch as undiciFetch } from 'undici';

export interface TransportUnderTest {
  readonly name: string;
  /** Guard options selecting this transport; `release()` closes what they opened. */
  use(): { readonly options: Pick<GuardOptions, 'http'>; release(): Promise<void> };
}

export const TRANSPORTS: readonly TransportUnderTest[] = [
  { name: 'undici transport', use: () => ({ options: {}, release: async () => {} }) },
  {
    name: 'fetch transport',
    use() {
      const pool = new Agent({ keepAliveTimeout: 10_000 });
      const fetch = ((input: string | URL, init?: RequestInit) =>
        undiciFetch(input, {
          ...(init as object),
          dispatcher: pool,
        })) as unknown as typeof globalThis.fetch;
      return { options: { http: { fetch } }, release: () => pool.close() };
    },
  },
];
