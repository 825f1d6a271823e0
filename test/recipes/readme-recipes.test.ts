// The README's "Testing your app" recipe must stay the code that runs here (app.ts, app.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README code block whose first line is `// <file>`. */
function readmeBlock(file: string): string | undefined {
  const start = readme.indexOf(`\`\`\`ts\n// ${file}\n`);
  if (start < 0) return undefined;
  const body = readme.indexOf('\n', start) + 1;
  return readme.slice(body, readme.indexOf('```', body));
}

describe('README "Testing your app"', () => {
  it.each(['app.ts', 'app.test.ts'])('%s in the README is the tested file', (file) => {
    const tested = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(readmeBlock(file)).toBe(tested);
  });
});
