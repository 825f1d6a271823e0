#!/usr/bin/env node
/**
 * The `npx @tokenguard/testing` command. Runs until Ctrl+C (SIGINT) or SIGTERM, then closes
 * the server so the process exits cleanly.
 */
import { CliUsageError, runCli } from './cli/run-cli.js';

function fail(error: unknown): void {
  if (error instanceof CliUsageError) {
    process.stderr.write(`${error.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
    return;
  }
  const code = (error as NodeJS.ErrnoException).code;
  process.stderr.write(
    code === 'EADDRINUSE'
      ? 'That port is in use: choose another with --port (0 picks a free one).\n'
      : `${(error as Error).message}\n`,
  );
  process.exitCode = 1;
}

runCli(process.argv.slice(2), (text) => process.stdout.write(text)).then((session) => {
  if (session === undefined) return;
  const stop = () => {
    session.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}, fail);
