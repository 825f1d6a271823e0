// The pages users read: the README, CONTRIBUTING and every guide under docs/ (not the generated API reference).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Absolute paths of README.md, CONTRIBUTING.md and docs/*.md under `root`. */
export function markdownPages(root) {
  const docs = join(root, 'docs');
  return [
    join(root, 'README.md'),
    join(root, 'CONTRIBUTING.md'),
    ...readdirSync(docs)
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => join(docs, name)),
  ];
}
