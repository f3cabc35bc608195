import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { chainable } from '../../src/telemetry/index.js';

const APP_KEY = createContextKey('app value');
const OTHER_KEY = createContextKey('other value');
const remote = {
  traceId: '5bf92f3577b34da6a3ce929d0e0e4737',
  spanId: '10f067aa0ba902b8',
  traceFlags: 1,
  isRemote: true,
};

describe('the contexts a traced request derives', () => {
  it('keep the values of the context they started from and add their own, leaving it unchanged', () => {
    const base = ROOT_CONTEXT.setValue(APP_KEY, 'from the app');
    const parent = trace.setSpanContext(chainable(base), remote);
    const child = parent.setValue(OTHER_KEY, 'child');
    expect(child.getValue(APP_KEY)).toBe('from the app');
    expect(trace.getSpanContext(child)).toEqual(remote);
    expect(child.getValue(OTHER_KEY)).toBe('child');
    expect(parent.getValue(OTHER_KEY)).toBeUndefined();
    expect(base.getValue(OTHER_KEY)).toBeUndefined();
    expect(trace.getSpanContext(base)).toBeUndefined();
  });

  it('read the latest value of a key set twice, and none once deleted', () => {
    const a = chainable(ROOT_CONTEXT).setValue(OTHER_KEY, 1).setValue(OTHER_KEY, 2);
    expect(a.getValue(OTHER_KEY)).toBe(2);
    const deleted = a.deleteValue(OTHER_KEY);
    expect(deleted.getValue(OTHER_KEY)).toBeUndefined();
    expect(a.getValue(OTHER_KEY)).toBe(2);
    const app = chainable(ROOT_CONTEXT.setValue(APP_KEY, 'x')).deleteValue(APP_KEY);
    expect(app.getValue(APP_KEY)).toBeUndefined();
  });

  it('a chain made chainable again is the same chain', () => {
    const c = chainable(ROOT_CONTEXT);
    expect(chainable(c)).toBe(c);
  });
});
