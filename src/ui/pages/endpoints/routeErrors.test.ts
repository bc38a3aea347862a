import { describe, expect, it } from 'vitest';
import { RouteNormaliser } from '../../../parse/routes.js';
import { endpointFilterFor, staticPrefix } from './routeErrors.js';

describe('the GET /logs endpoint filter for a route', () => {
  it('is the static part before the first placeholder, as a prefix', () => {
    expect(staticPrefix('/api/users/{id}/orders/{hash}', '{')).toBe('/api/users/');
    expect(staticPrefix('/img/{id}.jpg', '{')).toBe('/img/');
    expect(staticPrefix('/a/very/long/…', '{')).toBe('/a/very/long');
    expect(endpointFilterFor('/api/users/{id}', [])).toEqual({ filter: '/api/users/*', exact: false });
  });

  it('is an exact path for a route without placeholders or rules', () => {
    expect(endpointFilterFor('/health', [])).toEqual({ filter: '/health', exact: true });
  });

  it('widens to the patterns of rules that name the route, so every path that can carry it is searched', () => {
    const rules = [{ pattern: '/posts/*', template: '/blog/{slug}' }, { pattern: '/blog/*', template: '/blog/{slug}' }];
    expect(endpointFilterFor('/blog/{slug}', rules)).toEqual({ filter: '/*', exact: false });
    expect(endpointFilterFor('/misc/{file}', [{ pattern: '/misc/*', template: '/misc/{file}' }])).toEqual({ filter: '/misc/*', exact: false });
  });

  it('every path the normaliser gives the route starts with the filter prefix', () => {
    const n = new RouteNormaliser();
    for (const path of ['/api/users/42', '/api/users/42/orders/9f3c2a1b', '/img/12345.jpg', '/d/2026-10-01/x', '/u/a@b.example']) {
      const { filter, exact } = endpointFilterFor(n.route(path)!, []);
      if (exact) expect(path).toBe(filter);
      else expect(path.startsWith(filter.slice(0, -1)), path).toBe(true);
    }
  });
});
