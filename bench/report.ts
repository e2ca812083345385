/**
 * What a benchmark suite hands back to bench/run.ts: tables to print and data to
 * write as JSON. Each suite lives in its own file and exports one async function
 * returning a SuiteReport, so suites can be added without touching the others.
 */

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  /** Cells already formatted; numbers are right-aligned when a cell looks numeric. */
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

export interface SuiteReport<T = unknown> {
  /** Short name; the JSON goes to bench/results/<suite>.json. */
  readonly suite: string;
  readonly tables: readonly Table[];
  readonly data: T;
}

/** Progress lines (stderr), so stdout keeps only the tables. */
export type ProgressLog = (line: string) => void;

const numeric = /^[-+]?[\d.,]+(\s?[a-z%×x/]*)?$/i;

export function formatTable(table: Table): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? cell.length;
        return i > 0 && numeric.test(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [
    table.title,
    line(table.columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.rows.map(line),
    ...(table.notes ?? []).map((note) => `  ${note}`),
  ].join('\n');
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A number with about three significant digits, for tables. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  const text = value.toPrecision(digits);
  return text.includes('.') && !text.includes('e') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export function round(value: number, decimals = 3): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
