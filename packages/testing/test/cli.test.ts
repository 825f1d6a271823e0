import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_USAGE, type CliSession, CliUsageError, runCli } from '../src/cli/run-cli.js';
import { basic, postForm } from './helpers.js';

const sessions: CliSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function run(
  args: string[],
): Promise<{ session: CliSession; output: string; warnings: string }> {
  let output = '';
  let warnings = '';
  const session = await runCli(
    args,
    (text) => {
      output += text;
    },
    (text) => {
      warnings += text;
    },
  );
  if (session === undefined) throw new Error('expected a running session');
  sessions.push(session);
  return { session, output, warnings };
}

describe('npx @tokenguard/testing', () => {
  it('--host 0.0.0.0 warns that the server mints any token for anyone who can reach it; loopback does not', async () => {
    const open = await run(['--port', '0', '--host', '0.0.0.0', '--json']);
    expect(open.warnings).toMatch(
      /^warning: listening on 0\.0\.0\.0, not loopback: .*mints any token for anyone who can reach it/,
    );
    // The warning goes to its own stream: the --json output stays one parseable line.
    expect(JSON.parse(open.output).url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    for (const host of ['127.0.0.1', 'localhost']) {
      expect((await run(['--port', '0', '--host', host, '--json'])).warnings, host).toBe('');
    }
  });

  it('--json prints one JSON line whose URLs, caller token and tokens work', async () => {
    const { session, output } = await run([
      '--port',
      '0',
      '--json',
      '--sub',
      'alice',
      '--scope',
      'orders:read orders:write',
      '--brand',
      'acme',
    ]);
    expect(output.endsWith('\n')).toBe(true);
    expect(output.trim().split('\n')).toHaveLength(1);
    const s = JSON.parse(output);
    expect(s).toEqual(session.summary);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.issuer).toBe(s.url);
    expect(s.introspectionEndpoint).toBe(`${s.url}/v1/oauth/introspect`);
    expect(s.audience).toBe('api');

    const metadata = await (await fetch(s.metadata)).json();
    expect(metadata).toMatchObject({
      issuer: s.issuer,
      introspection_endpoint: s.introspectionEndpoint,
      jwks_uri: s.jwksUri,
      token_endpoint: s.tokenEndpoint,
    });

    // RFC 7662 §2.1 with the printed caller token: the opaque sample is active with the claims.
    const introspected = await postForm(
      s.introspectionEndpoint,
      { token: s.tokens.opaque },
      { authorization: `Bearer ${s.callerToken}` },
    );
    expect(introspected.status).toBe(200);
    expect(introspected.body).toMatchObject({
      active: true,
      sub: 'alice',
      scope: 'orders:read orders:write',
      brand: 'acme',
    });

    // RFC 9068: the JWT sample verifies against the printed JWKS, issuer and audience.
    const jwks = createRemoteJWKSet(new URL(s.jwksUri));
    const verified = await jwtVerify(s.tokens.jwt, jwks, {
      issuer: s.issuer,
      audience: s.audience,
      typ: 'at+jwt',
    });
    expect(verified.payload).toMatchObject({ sub: 'alice', scope: 'orders:read orders:write' });
    await expect(
      jwtVerify(s.tokens.expiredJwt, jwks, { issuer: s.issuer, audience: s.audience }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('the text output names every URL, the caller credentials, the tokens and guard options', async () => {
    const { session, output } = await run(['--port', '0', '--scope', 'read']);
    const s = session.summary;
    for (const value of [
      s.url,
      s.metadata,
      s.introspectionEndpoint,
      s.tokenEndpoint,
      s.revocationEndpoint,
      s.jwksUri,
      s.callerToken,
      s.client.clientSecret,
      s.tokens.opaque,
      s.tokens.jwt,
      s.tokens.expiredJwt,
    ]) {
      expect(output).toContain(value);
    }
    expect(output).toContain(`issuer: '${s.issuer}'`);
    expect(output).toContain("jwt: { audience: 'api' }");
    expect(output).toContain('allowInsecureHttp: true');
    expect(output).toContain('scope "read"');
  });

  it('--caller-token, --client-secret, --audience and --ttl are honoured', async () => {
    const { session } = await run([
      '--port',
      '0',
      '--caller-token',
      'fixed-caller',
      '--client-secret',
      'fixed-secret',
      '--audience',
      'orders-api',
      '--ttl',
      '120',
    ]);
    const s = session.summary;
    expect(s.callerToken).toBe('fixed-caller');
    expect(s.client).toEqual({ clientId: 'resource-server', clientSecret: 'fixed-secret' });
    const issued = await postForm(
      s.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic('resource-server', 'fixed-secret') },
    );
    expect(issued.status).toBe(200);
    const { payload } = await jwtVerify(s.tokens.jwt, createRemoteJWKSet(new URL(s.jwksUri)), {
      audience: 'orders-api',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  it('--help prints the usage and starts nothing', async () => {
    let output = '';
    const session = await runCli(['--help'], (text) => {
      output += text;
    });
    expect(session).toBeUndefined();
    expect(output).toBe(CLI_USAGE);
    expect(output).toContain('--port');
  });

  it.each([
    [['--port', 'abc'], /--port must be an integer/],
    [['--port', '70000'], /--port must be an integer/],
    [['--ttl', '0'], /--ttl must be an integer/],
    [['--caller-token', ' '], /--caller-token must not be empty/],
    [['--nope'], /Unknown option '--nope'/],
    [['extra'], /positional/i],
  ])('a bad command line %j is a usage error naming the option', async (args, message) => {
    const attempt = runCli(args, () => {});
    await expect(attempt).rejects.toBeInstanceOf(CliUsageError);
    await expect(runCli(args, () => {})).rejects.toThrow(message);
  });

  it('a port in use rejects with EADDRINUSE (the command turns it into a hint)', async () => {
    const { session } = await run(['--port', '0', '--json']);
    const port = Number(new URL(session.summary.url).port);
    await expect(runCli(['--port', String(port)], () => {})).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
