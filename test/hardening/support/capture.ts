/**
 * Everything the guard says outside the response: its logger and its diagnostics channels.
 * Tests grep these (and the responses) for tokens and secrets that must never appear.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import type { TokenGuardLogger } from '@tokenguard/core';

const CHANNELS = [
  'tokenguard:auth:success',
  'tokenguard:auth:failure',
  'tokenguard:upstream:error',
];

export interface Capture {
  readonly logger: TokenGuardLogger;
  /** Every log line and diagnostics message so far, rendered as text. */
  readonly lines: string[];
  /** Log lines at `error` level. */
  readonly errors: string[];
  clear(): void;
  /** Stops listening to diagnostics channels. */
  stop(): void;
}

function render(message: unknown, detail?: unknown): string {
  return detail === undefined
    ? inspect(message, { depth: 8 })
    : `${inspect(message, { depth: 8 })} ${inspect(detail, { depth: 8 })}`;
}

/** A logger that records every line, plus a subscription to the guard's diagnostics channels. */
export function captureOutput(options: { diagnostics?: boolean } = {}): Capture {
  const lines: string[] = [];
  const errors: string[] = [];
  const onMessage = (message: unknown, name: string | symbol) => {
    lines.push(`${String(name)} ${render(message)}`);
  };
  const listening = options.diagnostics === true;
  if (listening) for (const name of CHANNELS) subscribe(name, onMessage);
  return {
    logger: {
      warn(message, detail) {
        lines.push(render(message, detail));
      },
      error(message, detail) {
        const line = render(message, detail);
        lines.push(line);
        errors.push(line);
      },
    },
    lines,
    errors,
    clear() {
      lines.length = 0;
      errors.length = 0;
    },
    stop() {
      if (listening) for (const name of CHANNELS) unsubscribe(name, onMessage);
    },
  };
}

/**
 * The secrets (at least 8 characters long) that occur in `text`, ignoring case: a token that
 * reaches a log lower-cased (e.g. inside a media type) has leaked all the same.
 */
export function leakedSecrets(text: string, secrets: Iterable<string>): string[] {
  const found: string[] = [];
  const haystack = text.toLowerCase();
  for (const secret of secrets) {
    if (secret.length >= 8 && haystack.includes(secret.toLowerCase())) found.push(secret);
  }
  return found;
}
