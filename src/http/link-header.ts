/**
 * The URL reference of the `rel="next"` entry of an RFC 8288 Link header, or undefined. Handles several
 * entries, quoted or bare rel values, and rel lists ("next last").
 */
export function nextLink(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(', ') : header;
  const re = /<([^>]*)>([^<]*)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const params = m[2]!;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const value = rel ? (rel[1] ?? rel[2] ?? '') : '';
    if (value.toLowerCase().split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}
