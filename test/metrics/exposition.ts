/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: every line is a HELP,
 * TYPE or sample line (or empty); samples belong to a family declared by TYPE before them; label syntax and
 * escapes are checked; a series appears once; histograms have ascending `le` buckets with monotonic
 * counts, a `+Inf` bucket, and `_count` equal to it.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seriesSeen = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return; // the format ignores empty lines (prom-client puts one between families)
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) throw new Error(`${where}: comment is neither HELP nor TYPE`);
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      let fam = families.get(name);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        if (fam && (fam.samples.length > 0 || fam.type !== 'untyped'))
          throw new Error(`${where}: TYPE after samples or repeated`);
        if (!fam) {
          fam = { name, type: rest as Family['type'], help: undefined, samples: [] };
          families.set(name, fam);
        } else fam.type = rest as Family['type'];
      } else {
        if (fam?.help !== undefined) throw new Error(`${where}: HELP repeated`);
        if (!fam) {
          fam = { name, type: 'untyped', help: undefined, samples: [] };
          families.set(name, fam);
        }
        fam.help = unescapeHelp(rest);
      }
      return;
    }
    const sample = parseSample(line, where);
    const fam = familyOf(families, sample.name);
    if (!fam) throw new Error(`${where}: sample of an undeclared family`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seriesSeen.has(key)) throw new Error(`${where}: series repeated`);
    seriesSeen.add(key);
    fam.samples.push(sample);
  });
  for (const fam of families.values()) if (fam.type === 'histogram') checkHistogram(fam);
  return families;
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  if (!m) return undefined;
  const fam = families.get(m[1]!);
  return fam && (fam.type === 'histogram' || fam.type === 'summary') ? fam : undefined;
}

function parseSample(line: string, where: string): Sample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`${where}: bad sample name`);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      let j = i;
      while (j < line.length && line[j] !== '=') j++;
      const label = line.slice(i, j);
      if (!LABEL.test(label)) throw new Error(`${where}: bad label name ${JSON.stringify(label)}`);
      if (label in labels) throw new Error(`${where}: label ${label} repeated`);
      if (line[j + 1] !== '"') throw new Error(`${where}: label value not quoted`);
      let k = j + 2;
      let value = '';
      for (;;) {
        const c = line[k];
        if (c === undefined) throw new Error(`${where}: unterminated label value`);
        if (c === '"') break;
        if (c === '\\') {
          const n = line[k + 1];
          if (n === 'n') value += '\n';
          else if (n === '\\' || n === '"') value += n;
          else throw new Error(`${where}: bad escape`);
          k += 2;
        } else {
          value += c;
          k++;
        }
      }
      labels[label] = value;
      i = k + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`${where}: expected , or }`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
  const parts = line.slice(i + 1).split(' ');
  if (parts.length > 2) throw new Error(`${where}: trailing fields`);
  const value = parseValue(parts[0]!, where);
  if (parts.length === 2 && !/^-?\d+$/.test(parts[1]!)) throw new Error(`${where}: bad timestamp`);
  return { name, labels, value };
}

// Prometheus reads values with Go's strconv.ParseFloat, which matches NaN and Inf in any case
// (prom-client writes "Nan").
function parseValue(v: string, where: string): number {
  if (/^\+?inf(inity)?$/i.test(v)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(v)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(v)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`${where}: bad value ${v}`);
  return Number(v);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function checkHistogram(fam: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  const group = (labels: Record<string, string>) => {
    const { le: _le, ...rest } = labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) {
      g = { buckets: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const s of fam.samples) {
    if (s.name === `${fam.name}_bucket`) {
      if (s.labels.le === undefined) throw new Error(`${fam.name}: bucket without le`);
      group(s.labels).buckets.push([parseValue(s.labels.le, fam.name), s.value]);
    } else if (s.name === `${fam.name}_count`) group(s.labels).count = s.value;
    else if (s.name === `${fam.name}_sum`) group(s.labels).sum = s.value;
    else throw new Error(`${fam.name}: unexpected histogram sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    const where = `${fam.name}${key}`;
    if (g.count === undefined || g.sum === undefined) throw new Error(`${where}: missing _count or _sum`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i]![0] > g.buckets[i - 1]![0])) throw new Error(`${where}: le not ascending`);
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new Error(`${where}: bucket counts decrease`);
    }
    const last = g.buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`);
    if (last[1] !== g.count) throw new Error(`${where}: _count ${g.count} != +Inf bucket ${last[1]}`);
  }
}

/** The value of one series (labels must match exactly), or undefined when absent. */
export function seriesValue(
  families: Map<string, Family>,
  sampleName: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const fam of families.values()) {
    for (const s of fam.samples) {
      if (s.name !== sampleName) continue;
      const a = Object.entries(s.labels).sort();
      const b = Object.entries(labels).sort();
      if (JSON.stringify(a) === JSON.stringify(b)) return s.value;
    }
  }
  return undefined;
}

/** Sum over every series of a sample name whose labels include `match`. */
export function sumOf(
  families: Map<string, Family>,
  sampleName: string,
  match: Record<string, string> = {},
): number {
  let total = 0;
  for (const fam of families.values())
    for (const s of fam.samples)
      if (s.name === sampleName && Object.entries(match).every(([k, v]) => s.labels[k] === v))
        total += s.value;
  return total;
}
