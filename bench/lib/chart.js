// @ts-check
/**
 * The benchmark's picture: one horizontal bar per tokenguard path, its throughput as a ratio
 * of the hand-written floor of that path on the same framework in the same round (1.00 = as
 * fast as ten hand-written lines; the target line is 0.90), grouped by framework. Plain SVG,
 * no dependency.
 */

const WIDTH = 900;
const LABEL_WIDTH = 430;
const BAR_AREA = WIDTH - LABEL_WIDTH - 70;
const ROW = 20;
const GROUP_GAP = 16;
const TOP = 56;
const COLORS = { met: '#2563eb', missed: '#f59e0b' };
const TARGET = 0.9;

/** @param {string} text */
function escapeXml(text) {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * @param {Array<{ framework: string, label: string, ratio: number }>} bars tokenguard ÷ floor
 * @param {{ title: string, subtitle: string }} text
 * @returns {string} an SVG document
 */
export function renderChart(bars, text) {
  const measured = bars.filter((b) => Number.isFinite(b.ratio));
  /** @type {Map<string, typeof measured>} */
  const groups = new Map();
  for (const b of measured) {
    const list = groups.get(b.framework) ?? [];
    list.push(b);
    groups.set(b.framework, list);
  }
  const maxRatio = Math.max(1.1, ...measured.map((b) => b.ratio));
  const x = (/** @type {number} */ ratio) => LABEL_WIDTH + (ratio / maxRatio) * BAR_AREA;
  const parts = [];
  let y = TOP;
  for (const [framework, list] of groups) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(framework)}</text>`);
    y += ROW;
    for (const b of list) {
      const color = b.ratio >= TARGET ? COLORS.met : COLORS.missed;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 13}" text-anchor="end">${escapeXml(b.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${(x(b.ratio) - LABEL_WIDTH).toFixed(1)}" height="${ROW - 6}" fill="${color}"/>`,
        `<text x="${(x(b.ratio) + 4).toFixed(1)}" y="${y + 13}">${b.ratio.toFixed(2)}</text>`,
      );
      y += ROW;
    }
    y += GROUP_GAP;
  }
  const height = y + 24;
  const one = x(1).toFixed(1);
  const target = x(TARGET).toFixed(1);
  const legend = [
    [`≥ ${TARGET.toFixed(2)} of the floor`, COLORS.met],
    ['below', COLORS.missed],
  ]
    .map(
      ([name, color], i) =>
        `<rect x="${LABEL_WIDTH + i * 160}" y="${height - 18}" width="12" height="12" fill="${color}"/>` +
        `<text x="${LABEL_WIDTH + i * 160 + 16}" y="${height - 8}">${name}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(`${text.title} — ${text.subtitle}`)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold">${escapeXml(text.title)}</text>`,
    `<text x="8" y="38" fill="#555">${escapeXml(text.subtitle)}</text>`,
    `<line x1="${one}" y1="${TOP - 6}" x2="${one}" y2="${y - GROUP_GAP}" stroke="#111" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${TOP - 10}" text-anchor="start" fill="#111">1.00 = hand-written</text>`,
    `<line x1="${target}" y1="${TOP - 6}" x2="${target}" y2="${y - GROUP_GAP}" stroke="#b91c1c" stroke-dasharray="2 3"/>`,
    `<text x="${target}" y="${TOP - 10}" text-anchor="end" fill="#b91c1c">target ${TARGET.toFixed(2)} </text>`,
    ...parts,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
