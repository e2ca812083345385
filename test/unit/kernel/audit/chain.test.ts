import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../../src/kernel/audit';
import { canonicalJson, entryHash, genesisHash, sealEntry, verifyChain } from '../../../../src/kernel/audit';
import { auditEvent } from './audit-store-contract';

function chainOf(length: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let index = 0; index < length; index += 1) {
    const previous = entries.at(-1);
    entries.push(
      sealEntry(
        auditEvent({ subject_id: `s-${index}` }),
        previous ? { sequence: previous.sequence, hash: previous.hash } : null,
        { id: `id-${index}`, timestamp: `2026-01-01T00:00:0${index}.000Z` },
      ),
    );
  }
  return entries;
}

const headOf = (entries: AuditEntry[]) => {
  const last = entries.at(-1);
  return last ? { sequence: last.sequence, hash: last.hash } : null;
};

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson([undefined, 'x'])).toBe('[null,"x"]');
  });
});

describe('sealEntry and verifyChain', () => {
  it('links each entry to the one before, from the genesis hash', () => {
    const entries = chainOf(4);
    expect(entries.map((entry) => entry.sequence)).toEqual([1, 2, 3, 4]);
    expect(entries[0]?.previous_hash).toBe(genesisHash);
    expect(entries[1]?.previous_hash).toBe(entries[0]?.hash);
    expect(entries[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash(entries[2] as AuditEntry)).toBe(entries[2]?.hash);
    expect(verifyChain(entries, { head: headOf(entries) })).toEqual({
      valid: true,
      checked: 4,
      first_sequence: 1,
      last_sequence: 4,
    });
  });

  it('finds an edit to any field, in context too', () => {
    for (const edit of [
      { subject_id: 'other' },
      { severity: 'info' as const },
      { timestamp: '2027-01-01T00:00:00.000Z' },
      { app_id: 'app-x' },
      {
        context: { reason: 'not_yet_valid', nested: { list: [1, 'two', null, true] }, unicode: 'Zürich — ✓' },
      },
    ]) {
      const entries = chainOf(3);
      entries[1] = { ...(entries[1] as AuditEntry), ...edit };
      expect(verifyChain(entries)).toMatchObject({
        valid: false,
        broken: { sequence: 2, reason: 'hash_mismatch' },
      });
    }
  });

  it('finds an edit whose hash was recomputed, at the next link', () => {
    const entries = chainOf(3);
    const edited = { ...(entries[1] as AuditEntry), subject_id: 'other' };
    entries[1] = { ...edited, hash: entryHash(edited) };
    expect(verifyChain(entries)).toMatchObject({
      valid: false,
      broken: { sequence: 3, reason: 'previous_hash_mismatch' },
    });
  });

  it('finds removed, reordered and truncated entries', () => {
    const entries = chainOf(5);
    expect(verifyChain([...entries.slice(0, 2), ...entries.slice(3)])).toMatchObject({
      broken: { sequence: 3, reason: 'sequence_gap' },
    });
    expect(verifyChain([entries[1] as AuditEntry, entries[0] as AuditEntry])).toMatchObject({
      broken: { sequence: 1, reason: 'sequence_gap' },
    });
    expect(verifyChain(entries.slice(0, 3), { head: headOf(entries) })).toMatchObject({
      broken: { sequence: 4, reason: 'missing_entries' },
    });
    const other = chainOf(5);
    other[4] = sealEntry(auditEvent({ subject_id: 'replaced' }), headOf(other.slice(0, 4)), {
      id: 'x',
      timestamp: '2026-01-02T00:00:00.000Z',
    });
    expect(verifyChain(other, { head: headOf(entries) })).toMatchObject({
      broken: { sequence: 5, reason: 'head_mismatch' },
    });
  });

  it('verifies a slice from the entry before it', () => {
    const entries = chainOf(5);
    expect(verifyChain(entries.slice(2), { before: headOf(entries.slice(0, 2)) })).toMatchObject({
      valid: true,
      checked: 3,
      first_sequence: 3,
    });
    expect(verifyChain(entries.slice(2))).toMatchObject({ valid: false });
  });
});
