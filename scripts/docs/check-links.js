// Every relative link of the README and docs/ points at a file that exists, and every
// `#anchor` at a heading of its target (GitHub's slug rule: lower case, punctuation dropped,
// spaces to hyphens). Run: node scripts/docs/check-links.js
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownPages } from './markdown-pages.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** GitHub's heading anchor: lower case, drop what is not a letter, digit, space or hyphen. */
export function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const anchors = new Set();
  for (const match of text.matchAll(/^#{1,6} (.+)$/gm))
    anchors.add(slug(match[1].replace(/`/g, '')));
  return anchors;
}

const problems = [];
for (const page of markdownPages(root)) {
  const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1];
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [path, anchor] = target.split('#');
    const file = path === '' ? page : join(dirname(page), path);
    const where = relative(root, page);
    if (!existsSync(file)) {
      problems.push(`${where}: ${target} — no such file`);
      continue;
    }
    if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(anchor)) {
      problems.push(`${where}: ${target} — no heading with that anchor`);
    }
  }
}
if (problems.length > 0) {
  console.error(`${problems.length} broken link(s):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('links: every relative link and anchor resolves');
