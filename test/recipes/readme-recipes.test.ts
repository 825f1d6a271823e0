// The "Testing your app" guide's recipes must stay the code that runs here (app.ts, app.test.ts, breaker.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const guide = readFileSync(new URL('../../docs/testing.md', import.meta.url), 'utf8');

/** The guide's code block whose first line is `// <file>`. */
function guideBlock(file: string): string | undefined {
  const start = guide.indexOf(`\`\`\`ts\n// ${file}\n`);
  if (start < 0) return undefined;
  const body = guide.indexOf('\n', start) + 1;
  return guide.slice(body, guide.indexOf('```', body));
}

describe('docs/testing.md', () => {
  it.each(['app.ts', 'app.test.ts', 'breaker.test.ts'])(
    '%s in the guide is the tested file',
    (file) => {
      const tested = readFileSync(new URL(file, import.meta.url), 'utf8');
      expect(guideBlock(file)).toBe(tested);
    },
  );
});
