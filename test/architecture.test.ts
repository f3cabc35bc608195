import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers of docs/architecture.md, lowest first: a module imports only modules of a lower layer.
// `telemetry` sits on core alone (the OpenTelemetry API), so http, cache and mcp can all make spans.
// `metrics` observes http, cache and webhooks (breaker, cache and delivery counters), so it sits above them.
// `credentials` runs its token endpoint on http and shares tokens through redis.
const LAYER: Record<string, number> = {
  core: 0,
  resilience: 1,
  telemetry: 1,
  redis: 2,
  http: 3,
  cache: 3,
  webhooks: 3,
  config: 3,
  auth: 3,
  credentials: 4,
  metrics: 4,
  mcp: 5,
  demo: 6,
  cli: 7,
};

const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative specifier a file imports or re-exports, statically, by type or dynamically. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'(\.[^']+)'/gm)].map((m) => m[1]!);
}

/** `mcp` for src/mcp/tools/x.ts; undefined for src/index.ts (the package face). */
const moduleOf = (file: string) => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0] : undefined;
};

const imports = sourceFiles(SRC).flatMap((file) =>
  specifiers(readFileSync(file, 'utf8')).map((spec) => {
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    return {
      from: relative(SRC, file),
      module: moduleOf(file),
      target: relative(SRC, target),
      to: moduleOf(target),
    };
  }),
);
const crossing = imports.filter((i) => i.to !== undefined && i.module !== i.to);

describe('architecture', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(crossing.length).toBeGreaterThan(50);
    expect(crossing).toContainEqual(expect.objectContaining({ module: 'mcp', target: 'http/index.ts' }));
  });

  it('every module under src/ has a layer', () => {
    const modules = new Set(
      sourceFiles(SRC)
        .map(moduleOf)
        .filter((m) => m !== undefined),
    );
    expect([...modules].filter((m) => !(m in LAYER))).toEqual([]);
  });

  it('a module reaches another only through its index.ts', () => {
    const internal = crossing.filter((i) => i.target !== `${i.to}/index.ts`);
    expect(internal.map((i) => `${i.from} imports ${i.target}`)).toEqual([]);
  });

  it('no layer reaches up or sideways', () => {
    const upward = crossing.filter((i) => LAYER[i.to!]! >= LAYER[i.module!]!);
    expect(upward.map((i) => `${i.from} (${i.module}) imports ${i.target} (${i.to})`)).toEqual([]);
  });

  it('the package face re-exports module indexes only', () => {
    const face = imports.filter((i) => i.module === undefined && i.to !== undefined);
    expect(face.filter((i) => i.target !== `${i.to}/index.ts`)).toEqual([]);
  });
});
