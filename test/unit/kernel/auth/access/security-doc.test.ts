import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { permissionTableMarkdown } from '../../../../../src/kernel/auth/access';

/** docs/security.md shows the permission table the code enforces, not a copy that drifts. */
describe('docs/security.md', () => {
  it('contains exactly the permission table from the code, between its markers', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../../../../docs/security.md'), 'utf8');
    const match = /<!-- permission-table:start -->\n([\s\S]*?)\n<!-- permission-table:end -->/.exec(doc);
    expect(match, 'permission-table markers').not.toBeNull();
    expect(match![1]!.trim()).toBe(permissionTableMarkdown());
  });
});
