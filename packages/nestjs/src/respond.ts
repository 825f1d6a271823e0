/**
 * What the guards need of Nest's two HTTP platforms: the request as the core's `RequestLike`,
 * and the kit's answer written on the platform's own response object.
 */

import type { ExecutionContext } from '@nestjs/common';
import type { RequestLike } from '@tokenguard/core';
import { type Answer, type NodeMessage, nodeRequestView } from '@tokenguard/core/adapter-kit';

/** Express's request is the Node message; Fastify's wraps it as `raw`. */
export interface PlatformRequest extends Partial<NodeMessage> {
  readonly method: string;
  readonly url: string;
  readonly originalUrl?: string;
  readonly raw?: NodeMessage & { log?: unknown };
  readonly body?: unknown;
  readonly log?: unknown;
}

export function requestOf(context: ExecutionContext): PlatformRequest {
  return context.switchToHttp().getRequest<PlatformRequest>();
}

/** The request target as received (Express's `originalUrl`, Fastify's `url`). */
export function viewOf(request: PlatformRequest): RequestLike {
  const message = request.raw ?? (request as NodeMessage);
  return nodeRequestView(request.method, request.originalUrl ?? request.url, message, request.body);
}

/**
 * The app's request logger when one sits on the Node message (pino-http, as nestjs-pino
 * installs it, on both platforms); Fastify's own `request.log` is left alone, since Nest
 * apps usually run Fastify with its logger off.
 */
export function requestLog(request: PlatformRequest): unknown {
  return (request.raw ?? request).log;
}

interface FastifyLikeReply {
  readonly raw: unknown;
  code(status: number): FastifyLikeReply;
  headers(values: Record<string, string>): FastifyLikeReply;
  send(body: string): unknown;
}
interface ExpressLikeResponse {
  status(status: number): ExpressLikeResponse;
  set(values: Record<string, string>): ExpressLikeResponse;
  send(body: string): unknown;
}

/** Writes `answer` with the platform's own reply (Fastify) or response (Express) API. */
export function write(context: ExecutionContext, answer: Answer): void {
  const response = context.switchToHttp().getResponse<FastifyLikeReply | ExpressLikeResponse>();
  if ('raw' in response) response.code(answer.status).headers(answer.headers).send(answer.body);
  else response.status(answer.status).set(answer.headers).send(answer.body);
}

/** Sets the answer's headers (the challenge, `Cache-Control`, `Retry-After`) only. */
export function setHeaders(context: ExecutionContext, headers: Record<string, string>): void {
  const response = context.switchToHttp().getResponse<FastifyLikeReply | ExpressLikeResponse>();
  if ('raw' in response) response.headers(headers);
  else response.set(headers);
}

/** The Node response Nest middleware writes on either platform. */
export interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: string): unknown;
}

/** Writes `answer` on the Node response (middleware runs before the platform's reply exists). */
export function writeNode(response: NodeResponse, answer: Answer): void {
  const length = String(Buffer.byteLength(answer.body));
  response.writeHead(answer.status, { ...answer.headers, 'content-length': length });
  response.end(answer.body);
}

/**
 * What a guard returns once it has answered the request itself. Nest would otherwise go on
 * to the handler (`true`) or to its exception filters (`false`, a throw), and a filter would
 * write a second answer over ours. The pipeline is left waiting on a promise that nothing
 * resolves and nothing holds: it is collected with the request, and no handler,
 * interceptor or filter runs.
 */
export function answered(): Promise<boolean> {
  return new Promise<boolean>(() => undefined);
}
