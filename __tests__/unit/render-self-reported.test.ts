// Mode comment posts numbers that the pull request's own run reported (issue 16, item 6): the
// comment, the minimal comment and the summary say so in one note, right after the verdict, and
// keep it however much is trimmed.
import { describe, expect, it } from '@jest/globals';
import type { Outcome } from '../../src/model.js';
import { renderComment, renderMinimalComment, renderSummary, SELF_REPORTED_NOTE } from '../../src/report/render.js';
import { smallOutcome } from '../support/outcomes.js';

const HEAD = { sha: '1111111111222222222233333333334444444444', ref: 'feature/x' };
const BASE = { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' };
const MARKER = '<!-- image-budget:image-budget -->';
const outcome: Outcome = smallOutcome([['app', 1_000_000, 2_000_000]], { maxIncreasePercent: 10, head: HEAD, base: BASE });
const VERDICT = '❌ **1 target over budget** · 1 target: 1 changed · budgets judge the compressed size';
const NOTE =
  "_ℹ️ Self-reported: these numbers come from the report that the pull request's own workflow run uploaded. " +
  'This workflow did not measure them, and a pull request from a fork can change them._';

describe('the self-reported note of mode comment', () => {
  it('is this text', () => {
    expect(SELF_REPORTED_NOTE).toBe(NOTE);
  });

  it('follows the verdict in the comment and the summary, once', () => {
    const comment = renderComment(outcome, { marker: MARKER, details: [], selfReported: true });
    expect(comment.startsWith(`### 📦 Image size\n\n${VERDICT}\n\n${NOTE}\n\n| Status | Target |`)).toBe(true);
    expect(comment.split(NOTE)).toHaveLength(2);
    const summary = renderSummary(outcome, { details: [], selfReported: true });
    expect(summary.startsWith(`### 📦 Image size\n\n${VERDICT}\n\n${NOTE}\n\n| Status | Target |`)).toBe(true);
  });

  it('is in the minimal comment too', () => {
    expect(renderMinimalComment(outcome, { selfReported: true })).toBe(
      [
        '### 📦 Image size',
        VERDICT,
        NOTE,
        "_The full report did not fit in a comment: it is in this run's job summary, and in the JSON report._",
        'Compared base `aaaaaaa` (`main`) with head `1111111` (`feature/x`).'
      ].join('\n\n')
    );
  });

  it('stays when almost nothing fits', () => {
    const comment = renderComment(outcome, { marker: MARKER, details: ['layers'], selfReported: true, maxChars: 100 });
    expect(comment).toBe([`### 📦 Image size`, VERDICT, NOTE, '_Full report in the job summary._', MARKER].join('\n\n'));
  });

  it('is not there when the run measured the numbers itself', () => {
    for (const text of [
      renderComment(outcome, { marker: MARKER, details: ['layers'] }),
      renderSummary(outcome, { details: ['layers'] }),
      renderMinimalComment(outcome)
    ]) {
      expect(text).not.toContain('Self-reported');
    }
  });
});
