// Reads a V8 CPU profile (`node --cpu-prof`, a .cpuprofile JSON) into self time per function.
// Pure: parsed JSON in, rows out; anything unexpected in the document is an error, never `any`.
import type { ProfileRow } from './report.js';

interface Node {
  readonly id: number;
  readonly name: string;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`cpu profile: ${what} is not an object`);
  return v as Record<string, unknown>;
}

function numbers(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'number')) throw new Error(`cpu profile: ${what} is not a number array`);
  return v as number[];
}

function nodeName(frame: Record<string, unknown>): string {
  const fn = typeof frame.functionName === 'string' && frame.functionName ? frame.functionName : '(anonymous)';
  const url = typeof frame.url === 'string' ? frame.url : '';
  const line = typeof frame.lineNumber === 'number' && frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : '';
  const file = url.slice(url.lastIndexOf('/') + 1);
  return file ? `${fn} (${file}${line})` : fn;
}

/** Self time per function name (summed over the call tree), most first, the top `top` rows. */
export function summarizeCpuProfile(json: unknown, top = 10): { totalSeconds: number; rows: ProfileRow[] } {
  const doc = obj(json, 'the document');
  if (!Array.isArray(doc.nodes)) throw new Error('cpu profile: nodes is not an array');
  const nodes = new Map<number, Node>();
  for (const [i, raw] of doc.nodes.entries()) {
    const n = obj(raw, `nodes[${i}]`);
    if (typeof n.id !== 'number') throw new Error(`cpu profile: nodes[${i}].id is not a number`);
    nodes.set(n.id, { id: n.id, name: nodeName(obj(n.callFrame, `nodes[${i}].callFrame`)) });
  }
  const samples = numbers(doc.samples, 'samples');
  const deltas = numbers(doc.timeDeltas, 'timeDeltas');
  if (samples.length !== deltas.length) throw new Error('cpu profile: samples and timeDeltas differ in length');
  const self = new Map<string, number>();
  let total = 0;
  // timeDeltas[i] is the time before sample i; it is charged to the sample it leads to, as DevTools does.
  for (const [i, id] of samples.entries()) {
    const us = Math.max(0, deltas[i] ?? 0);
    const name = nodes.get(id)?.name ?? '(unknown)';
    self.set(name, (self.get(name) ?? 0) + us);
    total += us;
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfSeconds: us / 1e6, share: total > 0 ? us / total : 0 }));
  return { totalSeconds: total / 1e6, rows };
}
