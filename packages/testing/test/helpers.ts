import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

/** POST a form to `url` with optional headers; returns status, headers and parsed JSON. */
export async function postForm(
  url: string,
  params: Record<string, string> | URLSearchParams,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> | undefined }> {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: params instanceof URLSearchParams ? params : new URLSearchParams(params),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

/** RFC 6749 §2.3.1: form-urlencode id and secret, then base64 `id:secret`. */
export function basic(clientId: string, clientSecret: string): string {
  const enc = (v: string) => new URLSearchParams({ v }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/** An RFC 7523 client assertion as a well-behaved client builds it. */
export async function clientAssertion(
  privateKey: KeyObject,
  kid: string,
  alg: string,
  clientId: string,
  audience: string,
  overrides: { jti?: string | null; exp?: number | null; iss?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg, kid });
  jwt
    .setIssuer(overrides.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt();
  if (overrides.exp !== null) jwt.setExpirationTime(overrides.exp ?? '60s');
  if (overrides.jti !== null) jwt.setJti(overrides.jti ?? randomUUID());
  return jwt.sign(privateKey);
}

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Parse a JSON answer into a loosely typed record for assertions. */
export async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
