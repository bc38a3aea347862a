import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in this package's package.json (for --version and the OpenAPI document), found by walking
 * up from this file: the same code runs from src/config (tsx) and from dist/src/config (built), at different depths.
 */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above the code');
    dir = up;
  }
}
