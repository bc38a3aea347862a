import { describe, expect, it } from 'vitest';
import { ANALYTICS_FILTERS, FILTER_PARAMS, filterQuery } from './filterBar.js';
import type { ViewRange } from './range.js';

const range: ViewRange = { from: '2026-10-01T00:00:00.000Z', to: '2026-10-02T00:00:00.000Z', source: 'web-1,web-2', label: 'Custom range' };

describe('the API query of the filter bar', () => {
  it('is the URL range and the fields a page offers, under the API names', () => {
    const params = new URLSearchParams('source=web-1,web-2&status_code=5xx&level=WARN,ERROR&route=/api/users/{id}&method=GET&q=timeout&sort=p95');
    expect(filterQuery(params, range, ANALYTICS_FILTERS)).toEqual({
      start_date: range.from, end_date: range.to,
      source: 'web-1,web-2', status_code: '5xx', level: 'WARN,ERROR', route: '/api/users/{id}', method: 'GET',
    });
  });

  it('leaves out what the page does not offer, and empty values', () => {
    const params = new URLSearchParams('status_code=&endpoint=/api/*&q=timeout');
    const q = filterQuery(params, { ...range, from: null, to: null }, FILTER_PARAMS);
    expect(Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined))).toEqual({ endpoint: '/api/*', q: 'timeout' });
    expect(filterQuery(params, range, ['source'])).toEqual({ start_date: range.from, end_date: range.to, source: undefined });
  });

  it('without a range (the live tail) carries only the filters', () => {
    expect(filterQuery(new URLSearchParams('level=ERROR'), null, ['level'])).toEqual({ level: 'ERROR' });
  });
});
