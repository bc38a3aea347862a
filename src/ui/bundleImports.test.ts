import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const UI = resolve(import.meta.dirname);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every `import … from '…'` / `export … from '…'` statement of a file, with its specifier. */
function importsOf(text: string): { statement: string; specifier: string }[] {
  const found = text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)';/gms);
  return [...found].map((m) => ({ statement: m[0], specifier: m[1]! }));
}

/**
 * The dashboard shares the API's types (src/api/wireTypes.ts) but none of the server's code: a value
 * import from outside src/ui would put zod, the parsers or worse into the bundle the browser loads.
 */
describe('the dashboard bundle', () => {
  it('takes only types from outside src/ui', () => {
    const leaks: string[] = [];
    for (const file of sources(UI)) {
      for (const { statement, specifier } of importsOf(readFileSync(file, 'utf8'))) {
        if (!specifier.startsWith('.')) continue; // packages: uplot, the CSS
        const target = resolve(file, '..', specifier);
        const inside = !relative(UI, target).startsWith('..');
        if (!inside && !/^(?:import|export) type\s/.test(statement)) leaks.push(`${relative(UI, file)}: ${statement.split('\n')[0]}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
