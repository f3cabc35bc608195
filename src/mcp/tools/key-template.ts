/**
 * `assignment:{id}` style templates for cache keys and invalidation tags, compiled once per tool.
 * `{a.b}` reads a nested argument. A missing argument renders as an empty string so an optional field
 * never throws at call time (the input schema decides what is required).
 */
export class KeyTemplate {
  private readonly literals: string[] = [];
  private readonly paths: string[][] = [];

  constructor(readonly source: string) {
    const re = /\{([^{}]+)\}/g;
    let last = 0;
    for (let m = re.exec(source); m !== null; m = re.exec(source)) {
      this.literals.push(source.slice(last, m.index));
      this.paths.push(m[1]!.trim().split('.'));
      last = m.index + m[0].length;
    }
    this.literals.push(source.slice(last));
  }

  /** Names of the top-level arguments the template reads. */
  get fields(): string[] {
    return this.paths.map((p) => p[0]!);
  }

  render(args: Readonly<Record<string, unknown>>): string {
    let out = this.literals[0]!;
    for (let i = 0; i < this.paths.length; i++) {
      out += renderValue(lookup(args, this.paths[i]!)) + this.literals[i + 1]!;
    }
    return out;
  }
}

function lookup(args: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = args;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function renderValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return stableStringify(value);
}

/** JSON with object keys sorted, so equal arguments give equal cache keys whatever their order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}
