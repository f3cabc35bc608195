import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryNode } from '../helpers/registry-node.js';

// The package as a user gets it: `npm pack` of this repository, installed into a fresh project from
// the tarball, offline (its dependencies come from the local npm cache that `npm ci` filled).
const run = promisify(execFile);
const ROOT = resolve(new URL('../../', import.meta.url).pathname);
const repoPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  devDependencies: Record<string, string>;
};
const SUBPATHS = Object.keys(repoPkg.exports)
  .filter((k) => !k.endsWith('.json'))
  .map((k) => (k === '.' ? repoPkg.name : `${repoPkg.name}/${k.slice(2)}`));

let work: string;
let app: string;
let installed: string;

/**
 * A project that depends on the tarball (and @types/node), with a lock made from this repository's:
 * the same versions `npm ci` put in the local cache, so it installs offline.
 */
function writeAppProject(dir: string, spec: string): void {
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const root = repoLock.packages[''] as {
    dependencies: Record<string, string>;
    bin?: unknown;
    engines?: unknown;
  };
  const typesNode = repoPkg.devDependencies['@types/node'] ?? '';
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { [repoPkg.name]: spec, '@types/node': typesNode } },
    [`node_modules/${repoPkg.name}`]: {
      version: repoPkg.version,
      resolved: spec,
      license: 'MIT',
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  const typesDeps = new Set(['node_modules/@types/node', 'node_modules/undici-types']);
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (!path || (entry.dev && !typesDeps.has(path))) continue;
    const { dev: _dev, ...rest } = entry;
    packages[path] = rest;
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'app',
      private: true,
      type: 'module',
      dependencies: { [repoPkg.name]: spec, '@types/node': typesNode },
    }),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }),
  );
}

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return run(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build`');
  work = mkdtempSync(join(tmpdir(), 'conduit-pack-'));
  // --ignore-scripts: dist/ is already built (npm ci and CI build it); rebuilding here would race
  // the other test files that read dist/.
  const packed = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  const tarball = join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]?.filename ?? '');
  app = join(work, 'app');
  await sh('mkdir', ['-p', app], work);
  writeAppProject(app, `file:../${basename(tarball)}`);
  // npm ci: exact versions from the lock, tarballs by integrity from the cache, no registry request.
  await sh('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  installed = join(app, 'node_modules', repoPkg.name);
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The export names of each subpath as the repository's own build has them. */
async function expectedExports(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(repoPkg.exports)) {
    if (key.endsWith('.json')) continue;
    const file = (target as { default: string }).default;
    const mod = (await import(join(ROOT, file))) as Record<string, unknown>;
    out[key === '.' ? repoPkg.name : `${repoPkg.name}/${key.slice(2)}`] = Object.keys(mod).sort();
  }
  return out;
}

const ESM_PROBE = `const out = {};
for (const s of ${JSON.stringify(SUBPATHS)}) out[s] = Object.keys(await import(s)).sort();
console.log(JSON.stringify(out));`;
const CJS_PROBE = `const out = {};
for (const s of ${JSON.stringify(SUBPATHS)}) out[s] = Object.keys(require(s)).filter((k) => k !== '__esModule' && k !== 'module.exports').sort();
console.log(JSON.stringify(out));`;

describe('the packed package installed into a fresh project', () => {
  it('imports every subpath as ESM, with the exports of the build', async () => {
    writeFileSync(join(app, 'probe.mjs'), ESM_PROBE);
    const { stdout } = await sh(process.execPath, ['probe.mjs'], app);
    const got = JSON.parse(stdout) as Record<string, string[]>;
    const want = await expectedExports();
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const s of SUBPATHS) {
      expect(got[s]?.length, s).toBeGreaterThan(0);
      expect(got[s], s).toEqual(want[s]);
    }
  });

  it('require()s every subpath on Node.js 22 (the registry binary) and on this Node.js', async () => {
    writeFileSync(join(app, 'probe.cjs'), CJS_PROBE);
    const want = await expectedExports();
    for (const node of [await registryNode(22), process.execPath]) {
      const { stdout, stderr } = await sh(node, ['probe.cjs'], app);
      const got = JSON.parse(stdout) as Record<string, string[]>;
      for (const s of SUBPATHS) expect(got[s], `${node}: ${s}`).toEqual(want[s]);
      expect(stderr, node).not.toMatch(/ERR_REQUIRE/);
    }
  });

  it('type-checks an import of every subpath under nodenext and bundler resolution', async () => {
    const lines = SUBPATHS.map(
      (s, i) => `import * as m${i} from '${s}';\nconsole.log(Object.keys(m${i}).length);`,
    );
    writeFileSync(join(app, 'check.ts'), `${lines.join('\n')}\nexport {};\n`);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, moduleResolution] of [
      ['nodenext', 'nodenext'],
      ['preserve', 'bundler'],
    ] as const) {
      const args = [
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--types',
        'node',
        '--target',
        'es2022',
      ];
      const res = await sh(
        process.execPath,
        [tsc, ...args, '--module', module, '--moduleResolution', moduleResolution, 'check.ts'],
        app,
      ).catch((e: { stdout?: string }) => ({ stdout: `FAILED\n${e.stdout ?? String(e)}` }));
      expect(res.stdout, `${module}/${moduleResolution}`).toBe('');
    }
  }, 300_000);

  it('ships LICENSE, repository and homepage, and the conduit command', async () => {
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository).toBeTruthy();
    expect(pkg.homepage).toMatch(/^https:\/\//);
    const { stdout } = await sh(join(app, 'node_modules', '.bin', 'conduit'), ['--version'], app);
    expect(stdout.trim()).toBe(repoPkg.version);
    const validated = await sh(
      join(app, 'node_modules', '.bin', 'conduit'),
      ['validate', '--config', join(installed, 'examples', 'conduit.yaml')],
      app,
    );
    expect(validated.stdout).toMatch(/valid/i);
  });

  it('ships no source map without its source', () => {
    const missing: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'node_modules') walk(p);
        } else if (e.name.endsWith('.map')) {
          const map = JSON.parse(readFileSync(p, 'utf8')) as { sources: string[]; sourceRoot?: string };
          for (const s of map.sources) {
            const src = resolve(dirname(p), map.sourceRoot ?? '', s);
            if (!existsSync(src)) missing.push(`${p.slice(installed.length + 1)} -> ${s}`);
          }
        } else if (/\.js$/.test(e.name)) {
          // A sourceMappingURL comment naming a map that is not there makes debuggers warn.
          const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(p, 'utf8'))?.[1];
          if (url && !url.startsWith('data:') && !existsSync(resolve(dirname(p), url)))
            missing.push(`${p.slice(installed.length + 1)} -> ${url}`);
        }
      }
    };
    walk(installed);
    expect(missing).toEqual([]);
  });

  it('keeps its build when npm runs its prepare script inside the installed package', async () => {
    // `npx conduit` from inside node_modules/conduit-mcp makes npm prepare that directory: the build
    // needs the repository's tsconfig, which is not shipped, so it must not touch dist/ there.
    await sh('npm', ['run', 'prepare'], installed);
    expect(existsSync(join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
  });

  it('ships what the examples import, so they run from the installed package', () => {
    // The examples import the package by its name (`conduit-mcp/http`), which resolves through its
    // exports to dist/ from inside the installed package; src/ is not shipped.
    expect(existsSync(join(installed, 'src'))).toBe(false);
    const missing: string[] = [];
    const dir = join(installed, 'examples');
    const probe: string[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
        const spec = m[1] ?? '';
        if (spec.startsWith('.')) {
          if (!existsSync(resolve(dir, spec.replace(/\.js$/, '.ts')))) missing.push(`examples/${f}: ${spec}`);
        } else if (spec === repoPkg.name || spec.startsWith(`${repoPkg.name}/`)) probe.push(spec);
      }
    }
    expect(missing).toEqual([]);
    expect(probe.length).toBeGreaterThan(0);
    // Resolved from the examples directory, as `npx tsx examples/x.ts` there would.
    const resolved = probe.map((spec) => {
      try {
        return createRequire(join(dir, 'x.js')).resolve(spec);
      } catch (err) {
        return `${spec}: ${String(err)}`;
      }
    });
    for (const r of resolved) expect(r.startsWith(join(installed, 'dist'))).toBe(true);
  });

  it('depends at run time only on packages the built code imports', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js')) {
          const text = readFileSync(p, 'utf8');
          for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)['"]((?:@[\w.-]+\/)?[\w.-]+)/g))
            imported.add(m[1] ?? '');
        }
      }
    };
    walk(join(installed, 'dist'));
    const unused = Object.keys(pkg.dependencies).filter((d) => !imported.has(d));
    expect(unused).toEqual([]);
  });

  it('ships every file the README and the docs link to or name under examples/', () => {
    const docs = ['README.md', ...readdirSync(join(installed, 'docs')).map((f) => `docs/${f}`)];
    expect(docs.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(installed, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] ?? '').split('#')[0] ?? '';
        if (!target || /^[a-z]+:/i.test(target)) continue;
        if (!existsSync(resolve(dirname(join(installed, doc)), target))) missing.push(`${doc}: ${target}`);
      }
      for (const m of text.matchAll(/\bexamples\/[\w./-]*\.(?:ts|ya?ml|json)\b/g)) {
        if (!existsSync(join(installed, m[0]))) missing.push(`${doc}: ${m[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
