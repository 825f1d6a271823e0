// @ts-check
/**
 * The benchmark's picture: one horizontal bar per scenario, its throughput as a ratio of the
 * framework's no-auth baseline measured in the same run (1.00 = free), grouped by framework,
 * tokenguard beside the peers and the hand-written middleware. Plain SVG, no dependency.
 */

const WIDTH = 900;
const LABEL_WIDTH = 430;
const BAR_AREA = WIDTH - LABEL_WIDTH - 70;
const ROW = 20;
const GROUP_GAP = 16;
const TOP = 56;
const COLORS = { ours: '#2563eb', peer: '#9ca3af', handwritten: '#f59e0b' };

/** @param {string} text */
function escapeXml(text) {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * @param {Array<{ scenario: { framework: string, label: string, baseline: boolean, ours: boolean }, ratio?: number }>} rows
 * @param {{ title: string, subtitle: string }} text
 * @returns {string} an SVG document
 */
export function renderChart(rows, text) {
  const measured = rows.filter((r) => !r.scenario.baseline && Number.isFinite(r.ratio));
  /** @type {Map<string, typeof measured>} */
  const groups = new Map();
  for (const r of measured) {
    const list = groups.get(r.scenario.framework) ?? [];
    list.push(r);
    groups.set(r.scenario.framework, list);
  }
  const maxRatio = Math.max(1.1, ...measured.map((r) => /** @type {number} */ (r.ratio)));
  const x = (/** @type {number} */ ratio) => LABEL_WIDTH + (ratio / maxRatio) * BAR_AREA;
  const parts = [];
  let y = TOP;
  for (const [framework, list] of groups) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(framework)}</text>`);
    y += ROW;
    for (const r of list) {
      const ratio = /** @type {number} */ (r.ratio);
      const kind = r.scenario.ours
        ? 'ours'
        : r.scenario.label.startsWith('hand-written')
          ? 'handwritten'
          : 'peer';
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 13}" text-anchor="end">${escapeXml(r.scenario.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${(x(ratio) - LABEL_WIDTH).toFixed(1)}" height="${ROW - 6}" fill="${COLORS[kind]}"/>`,
        `<text x="${(x(ratio) + 4).toFixed(1)}" y="${y + 13}">${ratio.toFixed(2)}</text>`,
      );
      y += ROW;
    }
    y += GROUP_GAP;
  }
  const height = y + 24;
  const one = x(1).toFixed(1);
  const legend = [
    ['tokenguard', COLORS.ours],
    ['peer library', COLORS.peer],
    ['hand-written', COLORS.handwritten],
  ]
    .map(
      ([name, color], i) =>
        `<rect x="${LABEL_WIDTH + i * 130}" y="${height - 18}" width="12" height="12" fill="${color}"/>` +
        `<text x="${LABEL_WIDTH + i * 130 + 16}" y="${height - 8}">${name}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(`${text.title} — ${text.subtitle}`)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold">${escapeXml(text.title)}</text>`,
    `<text x="8" y="38" fill="#555">${escapeXml(text.subtitle)}</text>`,
    `<line x1="${one}" y1="${TOP - 6}" x2="${one}" y2="${y - GROUP_GAP}" stroke="#111" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${TOP - 10}" text-anchor="middle" fill="#111">1.00 = no auth</text>`,
    ...parts,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
