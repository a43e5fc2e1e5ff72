// The minimal comment, sent once when GitHub refuses the full body as too long (RELIABILITY row 45).
import { describe, expect, it } from '@jest/globals';
import type { ImageStats, Outcome, SideResult, Threshold } from '../../src/model.js';
import { compare } from '../../src/report/compare.js';
import { buildOutcome, judge } from '../../src/report/policy.js';
import { renderMinimalComment } from '../../src/report/render.js';

const HEAD = { sha: '1111111111222222222233333333334444444444', ref: 'feature/x' };
const BASE = { sha: 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd', ref: 'main' };

function image(target: string, bytes: number): ImageStats {
  const digest = `sha256:${String(bytes).padStart(64, '0')}`;
  return {
    target,
    platform: 'linux/amd64',
    digest,
    configDigest: digest,
    compressedBytes: bytes,
    uncompressedBytes: bytes * 2,
    layerCount: 1,
    layers: [{ digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: bytes, uncompressedBytes: bytes * 2, instruction: 'COPY / /' }],
    method: 'oci-layout'
  };
}
const m = (i: ImageStats): SideResult => ({ state: 'measured', image: i });
const pct = (percent: number): Threshold => ({ kind: 'percent', percent, text: `${percent}%` });

function outcome(headBytes: number): Outcome {
  const budgets = { maxIncrease: { fallback: pct(10), byTarget: new Map() }, maxSize: { byTarget: new Map() }, maxLayers: { byTarget: new Map() } };
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare([{ target: 'app', platform: 'linux/amd64', head: m(image('app', headBytes)), base: m(image('app', 1_000_000)) }]), budgets, 'compressed'),
    head: HEAD,
    base: BASE,
    notes: []
  });
}

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
