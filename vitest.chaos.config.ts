import { defineConfig } from 'vitest/config';
import { selfImports } from './vitest.self-imports.js';

export default defineConfig({
  resolve: { alias: selfImports },
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
