import { expect, it } from 'vitest';
import { tailUrl } from './tailCommand.js';

it('tailUrl writes the flags as GET /logs names them, a route list as the parameter repeated (a route may hold a comma)', () => {
  const url = tailUrl({ server: 'http://localhost:8000', source: 'web', statusCode: '5xx', route: ['/api/users/{id}', '/a,b'], method: 'get,post' });
  expect(url.pathname).toBe('/logs/tail');
  expect([...url.searchParams]).toEqual([
    ['source', 'web'], ['status_code', '5xx'], ['method', 'get,post'], ['route', '/api/users/{id}'], ['route', '/a,b'],
  ]);
});
