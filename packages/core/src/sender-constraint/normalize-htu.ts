/**
 * RFC 9449 §4.3 check 9: `htu` is compared with the request's URI "without query and
 * fragment parts", after syntax- and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3):
 * case of scheme and host, default port, empty path, case of percent-encodings, and
 * percent-encoded unreserved characters.
 */

/**
 * Normalised forms already worked out: every DPoP request normalises its own URI, and an API
 * sees a limited set of them. Bounded (short inputs only, cleared when full): the function is
 * pure, so a forgotten entry only costs a parse.
 */
const normalized = new Map<string, string | undefined>();
const MAX_NORMALIZED = 1024;
const MAX_REMEMBERED_LENGTH = 512;

/** The normalised form of an absolute http(s) URI without query and fragment, or `undefined`. */
export function normalizeHtu(value: string): string | undefined {
  const known = normalized.get(value);
  if (known !== undefined || normalized.has(value)) return known;
  const result = parseHtu(value);
  if (value.length <= MAX_REMEMBERED_LENGTH) {
    if (normalized.size >= MAX_NORMALIZED) normalized.clear();
    normalized.set(value, result);
  }
  return result;
}

function parseHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  // WHATWG URL parsing already lower-cases scheme and host, drops the default port and
  // turns an empty path into "/". What remains of RFC 3986 §6.2.2 is percent-encoding.
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** RFC 3986 §6.2.2.1–2: upper-case hex digits; decode encoded unreserved characters. */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}
