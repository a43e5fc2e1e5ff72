// Pre-flight target planning: which targets the head builds, which are removed, which the base lacks
// (RELIABILITY rows 4, 6, 7).
import { describe, expect, test } from '@jest/globals';
import { parseStages, type ResolvedTarget, type Stage } from '../../src/dockerfile/stages.js';
import { InputError } from '../../src/inputs/errors.js';
import { baseTargets, planTargets, type TargetPlan } from '../../src/pipeline/targets.js';
import { inputError } from '../support/input-error.js';


const lines = (...l: string[]): string => l.join('\n');

const named = parseStages(lines('FROM scratch AS builder', 'FROM builder AS release'));
const lastUnnamed = parseStages(lines('FROM scratch AS builder', 'FROM builder'));
const withLegacy = parseStages(lines('FROM scratch AS builder', 'FROM scratch AS legacy', 'FROM builder AS release'));
const unnamedOnly = parseStages('FROM scratch');

describe('planTargets', () => {
  test.each<[string, Stage[], Stage[] | undefined, string[], TargetPlan]>([
    ['empty request: the last stage', named, named, [], { head: [{ name: 'release', stage: 'release' }], removed: [] }],
    ['empty request, unnamed last stage: default', lastUnnamed, named, [], { head: [{ name: 'default', stage: undefined }], removed: [] }],
    [
      'requested targets in the order asked',
      named,
      named,
      ['release', 'builder'],
      {
        head: [
          { name: 'release', stage: 'release' },
          { name: 'builder', stage: 'builder' }
        ],
        removed: []
      }
    ],
    ['case-insensitive on the head', named, named, ['RELEASE'], { head: [{ name: 'release', stage: 'release' }], removed: [] }],
    [
      'missing on head, present on base: removed',
      named,
      withLegacy,
      ['release', 'legacy'],
      { head: [{ name: 'release', stage: 'release' }], removed: [{ name: 'legacy', stage: 'legacy' }] }
    ],
    [
      'removed is matched case-insensitively and lowercased',
      named,
      withLegacy,
      ['Legacy'],
      { head: [], removed: [{ name: 'legacy', stage: 'legacy' }] }
    ],
    [
      'removed even when the head has no named stages',
      unnamedOnly,
      withLegacy,
      ['legacy'],
      { head: [], removed: [{ name: 'legacy', stage: 'legacy' }] }
    ],
    ['no base stages: known head targets still build', named, undefined, ['builder'], { head: [{ name: 'builder', stage: 'builder' }], removed: [] }],
    ['empty base stages: known head targets still build', named, [], ['release'], { head: [{ name: 'release', stage: 'release' }], removed: [] }],
    ['no base stages, empty request: the last stage', lastUnnamed, undefined, [], { head: [{ name: 'default', stage: undefined }], removed: [] }]
  ])('%s', (_name, head, base, requested, plan) => {
    expect(planTargets(head, base, requested, 'Dockerfile')).toEqual(plan);
  });

  test.each<[string, Stage[], Stage[] | undefined, string[], string]>([
    ['unknown on both sides', named, withLegacy, ['relase'], 'relase'],
    ['unknown on head, no base stages', named, undefined, ['legacy'], 'legacy'],
    ['unknown on head, empty base stages', named, [], ['legacy'], 'legacy'],
    ['unknown after a known and a removed one', named, withLegacy, ['release', 'legacy', 'nope'], 'nope']
  ])('%s: InputError for targets listing the head stages', (_name, head, base, requested, bad) => {
    const e = inputError(() => planTargets(head, base, requested, 'docker/Dockerfile.ci'));
    expect(e.input).toBe('targets');
    expect(e.value).toBe(bad);
    expect(e.message).toContain(`'targets'`);
    expect(e.message).toContain(JSON.stringify(bad));
    expect(e.message).toContain('docker/Dockerfile.ci');
    // The head's stages, not the base's (legacy is only on the base).
    expect(e.message).toMatch(/\(stages: builder, release\)$/);
  });

  test('empty head Dockerfile with an empty request fails naming the file input', () => {
    const e = inputError(() => planTargets([], named, [], 'Dockerfile'));
    expect(e.input).toBe('file');
    expect(e.message).toContain('Dockerfile');
  });
});

describe('baseTargets', () => {
  const release: ResolvedTarget = { name: 'release', stage: 'release' };
  const builder: ResolvedTarget = { name: 'builder', stage: 'builder' };
  const fresh: ResolvedTarget = { name: 'fresh', stage: 'fresh' };
  const dflt: ResolvedTarget = { name: 'default', stage: undefined };

  test.each<[string, Stage[] | undefined, ResolvedTarget[], { build: ResolvedTarget[]; absent: ResolvedTarget[] }]>([
    ['all present', named, [release, builder], { build: [release, builder], absent: [] }],
    ['a target the base lacks is absent, order kept', named, [fresh, release, builder], { build: [release, builder], absent: [fresh] }],
    ['unnamed default stage builds wherever the Dockerfile exists', unnamedOnly, [dflt], { build: [dflt], absent: [] }],
    ['default builds even when the base last stage is named', named, [dflt], { build: [dflt], absent: [] }],
    ['named targets on a base with only an unnamed stage are absent', unnamedOnly, [release, dflt], { build: [dflt], absent: [release] }],
    ['no base stages (undefined): all absent', undefined, [release, dflt], { build: [], absent: [release, dflt] }],
    ['no base stages (empty): all absent', [], [release, dflt], { build: [], absent: [release, dflt] }],
    ['nothing wanted', named, [], { build: [], absent: [] }]
  ])('%s', (_name, base, wanted, expected) => {
    expect(baseTargets(base, wanted)).toEqual(expected);
  });

  test('does not mutate or alias the wanted list', () => {
    const wanted: ResolvedTarget[] = [release];
    const { absent } = baseTargets(undefined, wanted);
    expect(absent).not.toBe(wanted);
    expect(wanted).toEqual([release]);
  });
});
