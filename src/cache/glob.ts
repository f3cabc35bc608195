/**
 * Redis glob semantics (as in SCAN MATCH / KEYS): `*` any run, `?` one character, `[abc]`, `[^a]`,
 * `[a-z]`, and `\` escaping the next character. L1 uses the same matcher so a pattern evicts the same
 * keys in both tiers.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      out += escapeRe(glob[++i]!);
    } else if (c === '*') {
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (c === '[') {
      const end = findClassEnd(glob, i + 1);
      if (end < 0) {
        // Redis treats an unterminated class as running to the end; a literal '[' is the safer reading.
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      out += `[${negate ? '^' : ''}${classBody(body)}]`;
      i = end;
    } else {
      out += escapeRe(c);
    }
  }
  return new RegExp(`${out}$`);
}

/** Escapes glob metacharacters so `s` matches itself literally (used for the key prefix). */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function findClassEnd(glob: string, from: number): number {
  for (let j = from; j < glob.length; j++) {
    if (glob[j] === '\\') j++;
    else if (glob[j] === ']' && j > from) return j;
  }
  return -1;
}

function classBody(body: string): string {
  // Unescape into single characters first, then build ranges; Redis swaps a reversed range like z-a.
  const chars: { c: string; lit: boolean }[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && i + 1 < body.length) chars.push({ c: body[++i]!, lit: true });
    else chars.push({ c: body[i]!, lit: false });
  }
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const a = chars[i]!;
    const dash = chars[i + 1];
    const b = chars[i + 2];
    if (dash && b && dash.c === '-' && !dash.lit) {
      const [lo, hi] = a.c <= b.c ? [a.c, b.c] : [b.c, a.c];
      out += `${escapeRe(lo)}-${escapeRe(hi)}`;
      i += 2;
    } else {
      out += escapeRe(a.c);
    }
  }
  return out;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
