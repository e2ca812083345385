import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/processes';
import { projectRoot, runAosToExit } from '../support/processes';
import { startKernel } from '../support/kernel';

/**
 * The README's first-orchestration example, line by line as a newcomer runs it:
 * each curl line of the marked block is replayed against a kernel (the host and
 * port swapped for the test's), so the README cannot drift from what works.
 */

interface CurlLine {
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
  readonly authenticated: boolean;
}

function readmeCurlLines(): CurlLine[] {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- readme-example: orchestrations');
  expect(marker).toBeGreaterThan(-1);
  const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(marker))![1]!;
  return block
    .split('\n')
    .filter((line) => line.startsWith('curl '))
    .map((line) => {
      const url = /(https?:\/\/127\.0\.0\.1:7071\S*)/.exec(line)![1]!;
      const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
      const body = /-d '([^']*)'/.exec(line)?.[1];
      return { method, path: new URL(url).pathname, body, authenticated: line.includes('Bearer $TOKEN') };
    });
}

let kernel: RunningProcess;

beforeAll(async () => {
  kernel = await startKernel();
}, 90_000);

afterAll(async () => {
  await kernel?.stop();
});

describe('README: run your first orchestrations', () => {
  it('works as written', async () => {
    const lines = readmeCurlLines();
    expect(lines.length).toBe(7);
    expect(lines.every((line) => line.authenticated)).toBe(true);
    // The README's first line: TOKEN=$(node bin/aos.js token --sub me --roles admin,approver)
    const tokenLine = /TOKEN=\$\(node bin\/aos\.js token ([^)]*)\)/.exec(
      readFileSync(path.join(projectRoot, 'README.md'), 'utf8'),
    );
    expect(tokenLine).not.toBeNull();
    const issued = await runAosToExit(['token', ...tokenLine![1]!.split(' ')]);
    expect(issued.code).toBe(0);
    const token = issued.output
      .split('\n')
      .find((l) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(l.trim()))!
      .trim();
    const answers: { line: CurlLine; status: number; body: Record<string, unknown> }[] = [];
    for (const line of lines) {
      const send = () =>
        fetch(`${kernel.baseUrl}${line.path}`, {
          method: line.method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(line.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(line.body === undefined ? {} : { body: line.body }),
        });
      let response = await send();
      // A newcomer re-runs a /result line until the run has finished (409 meanwhile).
      for (let i = 0; i < 200 && response.status === 409 && line.path.endsWith('/result'); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        response = await send();
      }
      answers.push({
        line,
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      });
    }
    expect(answers.map((a) => a.status)).toEqual([201, 201, 202, 200, 202, 200, 200]);
    const sequence = answers[3]!.body as { status: string; results: Record<string, { message: string }> };
    expect(sequence.status).toBe('completed');
    expect(sequence.results['writer']!.message).toBe('Hello, world. Nice to meet you.');
    expect(sequence.results['editor']!.message).toContain('[COMPLETE]');
    const conversation = answers[6]!.body as { status: string; turns: number; summary: string };
    expect(conversation.status).toBe('completed');
    expect(conversation.turns).toBe(2);
    expect(conversation.summary).toContain('[COMPLETE]');
  }, 60_000);
});
