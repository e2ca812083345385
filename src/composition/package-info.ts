import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The kernel's own package.json, found by walking up from the compiled file (src/ or dist/src/). */
export function readPackageInfo(start: string = __dirname): { name: string; version: string } {
  let dir = start;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'aos-kernel') return { name: pkg.name, version: pkg.version ?? '0.0.0' };
    } catch {
      // not here; keep walking
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { name: 'aos-kernel', version: '0.0.0' };
    dir = parent;
  }
}
