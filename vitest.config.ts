import { defineConfig } from 'vitest/config';
import { selfImports } from './vitest.self-imports.js';

export default defineConfig({
  resolve: { alias: selfImports },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/chaos/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: more workers only thrash.
    maxWorkers: 2,
  },
});
