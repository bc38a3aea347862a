import { describe, expect, it } from 'vitest';
import { compileRoutePattern, defaultRoute, matchRoutePattern, RouteNormaliser, RouteRuleError, segmentPlaceholder } from './routes.js';

describe('defaultRoute', () => {
  it.each([
    ['/api/users/1234/orders/9f3c2a1b', '/api/users/{id}/orders/{hash}'],
    ['/', '/'],
    ['/index.html', '/index.html'],
    ['/users/0b3c1f6e-57d2-4a8e-9d7e-2f0c9a1b3c4d/profile', '/users/{uuid}/profile'],
    ['/reports/2026-10-01/daily', '/reports/{date}/daily'],
    ['/commits/3e1b7c9d2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c', '/commits/{hash}'],
    ['/unsubscribe/jane.doe@example.com', '/unsubscribe/{email}'],
    ['/reset/AbC9xYz2kLm8NpQ4rSt6', '/reset/{token}'],
    ['/images/12345.jpg', '/images/{id}.jpg'],
    ['/blog/how-to-configure-nginx-reverse-proxy', '/blog/how-to-configure-nginx-reverse-proxy'],
    ['/deadbeef/facade', '/deadbeef/facade'],
    ['/api/orders/c124ea2/items', '/api/orders/{hash}/items'],
    ['/api/orders/21d335/items', '/api/orders/{hash}/items'],
    ['/b2b/e2e', '/b2b/e2e'],
    ['/v1/api2/items', '/v1/api2/items'],
    ['/static/app.12.js', '/static/app.12.js'],
    ['/a//b/', '/a//b/'],
    ['/search/%E4%BD%A0%E5%A5%BD', '/search/%E4%BD%A0%E5%A5%BD'],
  ])('%s → %s', (path, route) => {
    expect(defaultRoute(path)).toBe(route);
  });

  it('cuts a route over 1,024 UTF-8 bytes before a `/`, with a marker segment, never inside a character', () => {
    const MAX_ROUTE_BYTES = 1024;
    const seg = '€'.repeat(100); // 300 bytes in 100 UTF-16 units
    const emoji = '😀'.repeat(200); // 800 bytes in 400 units
    const exact = `/${'é'.repeat(511)}a`; // 1,024 bytes
    const cases: [string, string][] = [
      [`/${'a'.repeat(5000)}`, '/{…}'],
      [`/files/${'a'.repeat(5000)}/x`, '/files/{…}'],
      [`/users/1234/${'b'.repeat(2000)}`, '/users/{id}/{…}'],
      [exact, exact],
      [`${exact}b`, '/{…}'],
      [`/${seg}/${seg}/${seg}/${seg}`, `/${seg}/${seg}/${seg}/{…}`],
      [`/api/${emoji}/${emoji}`, `/api/${emoji}/{…}`],
    ];
    for (const [path, route] of cases) {
      const got = defaultRoute(path);
      expect(got).toBe(route);
      expect(Buffer.byteLength(got)).toBeLessThanOrEqual(MAX_ROUTE_BYTES);
      expect(Buffer.from(got).toString(), 'no character split').toBe(got);
    }
    // Paths that are not origin-form (CONNECT targets, junk) are bounded the same way.
    expect(new RouteNormaliser().route(`example.com:${'4'.repeat(3000)}`)).toBe('/{…}');
  });

  it('leaves short mixed words alone', () => {
    expect(segmentPlaceholder('abc12x')).toBeNull();
    expect(segmentPlaceholder('12ab')).toBeNull();
    expect(segmentPlaceholder('v2')).toBeNull();
    expect(segmentPlaceholder('')).toBeNull();
  });
});

describe('RouteNormaliser', () => {
  it('applies user rules first, in order, then the built-in rules', () => {
    const n = new RouteNormaliser([
      { pattern: '/blog/*', template: '/blog/{slug}' },
      { pattern: '/static/app.*.js', template: '/static/app.{version}.js' },
      { pattern: '/wp-content/**', template: '/wp-content/**' },
      { pattern: '/blog/archive', template: '/never' }, // shadowed by the first rule
    ]);
    expect(n.route('/blog/hello-world')).toBe('/blog/{slug}');
    expect(n.route('/blog/archive')).toBe('/blog/{slug}');
    expect(n.route('/blog/a/b')).toBe('/blog/a/b');
    expect(n.route('/static/app.12.js')).toBe('/static/app.{version}.js');
    expect(n.route('/wp-content')).toBe('/wp-content/**');
    expect(n.route('/wp-content/plugins/x/y.php')).toBe('/wp-content/**');
    expect(n.route('/api/users/77')).toBe('/api/users/{id}');
    expect(n.route(null)).toBeNull();
    expect(n.route('example.com:443')).toBe('example.com:443'); // CONNECT target
  });

  it('rejects rules it cannot compile, naming the problem', () => {
    expect(() => new RouteNormaliser([{ pattern: 'blog/*', template: '/b' }])).toThrow(/must start with '\/'/);
    expect(() => new RouteNormaliser([{ pattern: '/a/**/b', template: '/b' }])).toThrow(/last segment/);
    expect(() => new RouteNormaliser([{ pattern: '/a**', template: '/b' }])).toThrow(RouteRuleError);
    expect(() => new RouteNormaliser([{ pattern: '/a', template: 'b' }])).toThrow(/template must start/);
  });

  it('treats regular-expression characters in patterns literally', () => {
    const p = compileRoutePattern('/a.b/(x)+/*');
    expect(matchRoutePattern(p, '/a.b/(x)+/anything')).toBe(true);
    expect(matchRoutePattern(p, '/aXb/(x)+/anything')).toBe(false);
    expect(matchRoutePattern(compileRoutePattern('/'), '/')).toBe(true);
    expect(matchRoutePattern(compileRoutePattern('/**'), '/any/thing')).toBe(true);
  });

  it('matches adversarial paths in linear time', () => {
    // As a regular expression (/^\/[^/]*a[^/]*a[^/]*a$/) this input backtracks for hours.
    const n = new RouteNormaliser([{ pattern: '/*a*a*a', template: '/t' }]);
    expect(n.route(`/${'a'.repeat(20_000)}b`)).toBe('/{…}');
    expect(n.route(`/${'a'.repeat(20_000)}`)).toBe('/t');
  });
});
