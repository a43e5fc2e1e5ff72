// The minimal comment, sent once when GitHub refuses the full body as too long (RELIABILITY row 45).
import { describe, expect, it } from '@jest/globals';
import type { Outcome } from '../../src/model.js';
import { renderMinimalComment } from '../../src/report/render.js';
import { smallOutcome } from '../support/outcomes.js';

const HEAD = { sha: '1111111111222222222233333333334444444444', ref: 'feature/x' };
const BASE = { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' };
const outcome = (headBytes: number): Outcome => smallOutcome([['app', 1_000_000, headBytes]], { maxIncreasePercent: 10, head: HEAD, base: BASE });

describe('renderMinimalComment', () => {
  it('keeps the heading, the verdict, where the full report is, and the commits: nothing else', () => {
    const text = renderMinimalComment(outcome(2_000_000), { runUrl: 'https://github.com/o/r/actions/runs/42' });
    expect(text).toBe(
      [
        '### 📦 Image size',
        '❌ **1 target over budget** · 1 target: 1 changed · budgets judge the compressed size',
        '_The full report did not fit in a comment: it is in the job summary of [this run](https://github.com/o/r/actions/runs/42), and in the JSON report._',
        'Compared base `aaaaaaa` (`main`) with head `1111111` (`feature/x`).'
      ].join('\n\n')
    );
    expect(text).not.toContain('|');
  });

  it('a passing run says so', () => {
    expect(renderMinimalComment(outcome(1_000_001))).toContain('✅ **Within budget**');
  });

  it.each([
    ['no link given', undefined],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['markdown in the URL', 'https://x.test/a)[b](c']
  ])('%s: no link, only the words', (_name, runUrl) => {
    const text = renderMinimalComment(outcome(2_000_000), runUrl === undefined ? {} : { runUrl });
    expect(text).toContain("it is in this run's job summary, and in the JSON report");
    expect(text).not.toContain('](');
  });
});
