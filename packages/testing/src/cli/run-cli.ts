/**
 * `npx @tokenguard/testing`: the local identity server as a command, for trying a guard by
 * hand or wiring one into a test script. It prints the server's URLs, the caller credentials
 * a guard needs for introspection, sample tokens and the matching guard options.
 */
import { parseArgs } from 'node:util';
import { createIdentityServer } from '../create-identity-server.js';
import type { IdentityServer } from '../types.js';

/** The help text of `npx @tokenguard/testing --help`. */
export const CLI_USAGE = `Usage: npx @tokenguard/testing [options]

Starts a local OAuth 2.0 identity server (RFC 7662 introspection, RFC 8414 metadata, JWKS,
client_credentials token endpoint, RFC 7009 revocation) and prints its URLs, caller
credentials and sample tokens. Ctrl+C stops it.

Options:
  --port <n>             port to listen on (default 4000; 0 picks a free port)
  --host <address>       interface to listen on (default 127.0.0.1; any other address
                         warns: the server mints tokens for anyone who can reach it)
  --caller-token <t>     the static bearer token allowed to introspect (default: random)
  --client-secret <s>    secret of the client "resource-server" (default: random)
  --sub <subject>        subject of the sample tokens (default user-1)
  --scope <scopes>       space-separated scopes of the sample tokens (default "read write")
  --brand <brand>        brand claim of the sample tokens (default: none)
  --audience <aud>       aud of the sample JWTs (default api)
  --ttl <seconds>        lifetime of the sample tokens (default 3600)
  --json                 print one JSON object instead of text
  -h, --help             show this help
`;

/** A command-line mistake: the message says which option and what was expected. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** What `--json` prints, and what {@link runCli} returns besides the server. */
export interface CliSummary {
  url: string;
  issuer: string;
  metadata: string;
  introspectionEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  jwksUri: string;
  callerToken: string;
  client: { clientId: string; clientSecret: string };
  audience: string;
  tokens: { opaque: string; jwt: string; expiredJwt: string };
}

/** A running CLI session: the server, what was printed, and how to stop it. */
export interface CliSession {
  readonly server: IdentityServer;
  readonly summary: CliSummary;
  close(): Promise<void>;
}

interface CliOptions {
  port: number;
  host: string;
  callerToken?: string;
  clientSecret?: string;
  sub: string;
  scope: string;
  brand?: string;
  audience: string;
  ttlSec: number;
  json: boolean;
}

function integer(value: string, option: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new CliUsageError(`--${option} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function nonEmpty(value: string | undefined, option: string): string | undefined {
  if (value !== undefined && value.trim() === '') {
    throw new CliUsageError(`--${option} must not be empty`);
  }
  return value;
}

/** Parses the command line; `undefined` means `--help` was asked for. */
export function parseCliArgs(args: readonly string[]): CliOptions | undefined {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return undefined;
  return {
    port: integer(v.port ?? '4000', 'port', 0, 65535),
    host: nonEmpty(v.host, 'host') ?? '127.0.0.1',
    callerToken: nonEmpty(v['caller-token'], 'caller-token'),
    clientSecret: nonEmpty(v['client-secret'], 'client-secret'),
    sub: nonEmpty(v.sub, 'sub') ?? 'user-1',
    scope: v.scope ?? 'read write',
    brand: nonEmpty(v.brand, 'brand'),
    audience: nonEmpty(v.audience, 'audience') ?? 'api',
    ttlSec: integer(v.ttl ?? '3600', 'ttl', 1, 31_536_000),
    json: v.json ?? false,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'caller-token': { type: 'string' },
      'client-secret': { type: 'string' },
      sub: { type: 'string' },
      scope: { type: 'string' },
      brand: { type: 'string' },
      audience: { type: 'string' },
      ttl: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function formatText(s: CliSummary, o: CliOptions): string {
  const scope = o.scope === '' ? 'no scope' : `scope "${o.scope}"`;
  const brand = o.brand === undefined ? '' : `, brand ${o.brand}`;
  const guardOptions = [
    '{',
    `  issuer: '${s.issuer}',`,
    `  jwt: { audience: '${s.audience}' },`,
    `  introspection: { clientAuth: { method: 'bearer', token: '${s.callerToken}' } },`,
    '  allowInsecureHttp: true, // this server speaks plain http on loopback',
    '}',
  ];
  return [
    `@tokenguard/testing identity server on ${s.url} (Ctrl+C to stop)`,
    '',
    `  issuer                  ${s.issuer}`,
    `  metadata                ${s.metadata}`,
    `  introspection endpoint  ${s.introspectionEndpoint}`,
    `  token endpoint          ${s.tokenEndpoint}`,
    `  revocation endpoint     ${s.revocationEndpoint}`,
    `  JWKS                    ${s.jwksUri}`,
    '',
    'Caller credentials for the introspection endpoint',
    `  caller token            ${s.callerToken}   (Authorization: Bearer …)`,
    `  client id / secret      ${s.client.clientId} / ${s.client.clientSecret}   (client_secret_basic, client_secret_post, client_credentials)`,
    '',
    `Sample tokens (sub ${o.sub}, ${scope}${brand}, valid ${o.ttlSec} s)`,
    `  opaque (introspection)  ${s.tokens.opaque}`,
    `  ${`JWT (RS256, aud ${s.audience})`.padEnd(23)} ${s.tokens.jwt}`,
    `  expired JWT             ${s.tokens.expiredJwt}`,
    '',
    'Guard options that accept these tokens:',
    ...guardOptions.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/** Loopback addresses (RFC 1122 §3.2.1.3 127/8, RFC 4291 §2.5.3 ::1) and `localhost`. */
function isLoopback(host: string): boolean {
  return /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1' || host === 'localhost';
}

/**
 * Starts the identity server for a command line and writes what a user needs to `write`
 * (text, or one JSON line with `--json`). Resolves `undefined` after printing the help.
 * Throws {@link CliUsageError} for a bad command line. `warn` (standard error by default)
 * gets the warning for a `--host` that is not loopback.
 */
export async function runCli(
  args: readonly string[],
  write: (text: string) => void,
  warn: (text: string) => void = (text) => process.stderr.write(text),
): Promise<CliSession | undefined> {
  const options = parseCliArgs(args);
  if (options === undefined) {
    write(CLI_USAGE);
    return undefined;
  }
  if (!isLoopback(options.host)) {
    // Anyone who reaches it gets tokens for any subject and scope, and every guard trusting
    // it accepts them: a test server must not be a way in.
    warn(
      `warning: listening on ${options.host}, not loopback: this server mints any token for anyone who can reach it. Use it only on a network you trust.\n`,
    );
  }
  const server = await createIdentityServer({
    host: options.host,
    port: options.port,
    ...(options.callerToken === undefined ? {} : { callerToken: options.callerToken }),
  });
  try {
    let client = server.defaultClient;
    if (options.clientSecret !== undefined) {
      client = { clientId: client.clientId, clientSecret: options.clientSecret };
      server.registerClient(client);
    }
    const claims = {
      sub: options.sub,
      ...(options.scope === '' ? {} : { scope: options.scope }),
      ...(options.brand === undefined ? {} : { brand: options.brand }),
    };
    const summary: CliSummary = {
      url: server.url,
      issuer: server.issuer,
      metadata: `${server.url}/.well-known/oauth-authorization-server`,
      introspectionEndpoint: server.introspectionEndpoint,
      tokenEndpoint: server.tokenEndpoint,
      revocationEndpoint: server.revocationEndpoint,
      jwksUri: server.jwksUri,
      callerToken: server.callerToken,
      client,
      audience: options.audience,
      tokens: {
        opaque: server.mintToken({ ...claims, expiresInSec: options.ttlSec }),
        jwt: await server.mintJwt(
          { ...claims, aud: options.audience },
          { expiresInSec: options.ttlSec },
        ),
        expiredJwt: await server.mintBadJwt('expired', { ...claims, aud: options.audience }),
      },
    };
    write(options.json ? `${JSON.stringify(summary)}\n` : formatText(summary, options));
    return { server, summary, close: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  }
}
