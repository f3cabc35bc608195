// `--import` this (bench/run.ts puts it in NODE_OPTIONS) to run Conduit from dist/ in a bench process.
import { register } from 'node:module';

register('./built-conduit-hook.mjs', import.meta.url);
