import fs from 'node:fs';
import path from 'node:path';

/** Whether a path segment holds a wildcard: `*`, `?` or a `[...]` class. */
function isPattern(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A shell wildcard of one path segment as a regular expression: `*` and `?` never match `/`, and never a leading dot. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let cls = segment.slice(i + 1, close);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const dotted = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${dotted}${re}$`);
}

/**
 * The regular files a path or shell wildcard names now (`/var/log/nginx/*.log`,
 * `/srv/*\/logs/access.log`), sorted; none when nothing matches yet. Wildcards may stand in any
 * segment; `**` is not special. A path without one is itself, when it is a file.
 */
export function expandPattern(pattern: string): string[] {
  const abs = path.resolve(pattern);
  const { root } = path.parse(abs);
  const segments = abs.slice(root.length).split(path.sep).filter(Boolean);
  let dirs = [root];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const dir of dirs) {
      if (!isPattern(segment)) {
        next.push(path.join(dir, segment));
        continue;
      }
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      const re = segmentRegExp(segment);
      for (const name of names) if (re.test(name)) next.push(path.join(dir, name));
    }
    dirs = last ? next : next.filter(isDirectory);
  }
  return dirs.filter(isFile).sort();
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
