// Marks a CommonJS build output folder as CommonJS for Node.js and TypeScript: the packages
// are "type": "module", so dist/cjs/*.js would otherwise be read as ES modules.
// Usage (from a package's build script): node ../../scripts/mark-commonjs.js dist/cjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/mark-commonjs.js <folder>');
  process.exit(2);
}
writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
