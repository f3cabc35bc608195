import { describe, expect, it } from 'vitest';
import { parseExposition, seriesValue } from './exposition.js';

// The parser must refuse what Prometheus refuses, or the scrape tests prove nothing.
describe('the test exposition parser', () => {
  const ok = [
    '# HELP c_total Calls.',
    '# TYPE c_total counter',
    'c_total{a="x\\"y",b="1"} 3',
    '# TYPE h histogram',
    'h_bucket{le="0.1"} 1',
    'h_bucket{le="1"} 2',
    'h_bucket{le="+Inf"} 2',
    'h_sum 0.6',
    'h_count 2',
    '',
  ].join('\n');

  it('reads families, labels with escapes and values', () => {
    const f = parseExposition(ok);
    expect(f.get('c_total')?.type).toBe('counter');
    expect(f.get('c_total')?.help).toBe('Calls.');
    expect(seriesValue(f, 'c_total', { a: 'x"y', b: '1' })).toBe(3);
    expect(seriesValue(f, 'h_count')).toBe(2);
  });

  it.each([
    ['a sample without TYPE', 'x 1\n'],
    ['an unquoted label value', '# TYPE x gauge\nx{a=1} 1\n'],
    ['a bad value', '# TYPE x gauge\nx 1,5\n'],
    ['a repeated series', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a missing final newline', '# TYPE x gauge\nx 1'],
    ['decreasing buckets', ok.replace('h_bucket{le="1"} 2', 'h_bucket{le="1"} 0')],
    ['_count different from +Inf', ok.replace('h_count 2', 'h_count 3')],
    ['no +Inf bucket', ok.replace('h_bucket{le="+Inf"} 2\n', '')],
    ['a repeated TYPE', ok.replace('# TYPE h histogram', '# TYPE h histogram\n# TYPE h histogram')],
  ])('rejects %s', (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
