// Pure helpers of the benchmark: summaries of repeated samples, units, and the target checks.
// No I/O here, so the numbers the report prints are computed one way only.

/** min / median / max of a set of samples (seconds or bytes), with the samples kept for the JSON. */
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, samples: [...samples] };
}

/**
 * Runs `fn` once to warm up (page cache, JIT) unless `warmUp` is false, then `runs` times; each
 * sample is its wall time and the process's CPU time (all threads), in seconds.
 */
export async function timeRuns<T>(
  runs: number,
  fn: () => Promise<T>,
  check?: (value: T) => void,
  warmUp = true
): Promise<{ wall: Summary; cpu: Summary }> {
  if (warmUp) check?.(await fn());
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const value = await fn();
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(cpu0);
    check?.(value);
    wall.push(Number(t1 - t0) / 1e9);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: summarize(wall), cpu: summarize(cpu) };
}

/**
 * Times several functions against each other: one warm-up run of each, then `runs` rounds that
 * run each once, in turn. Interleaving spreads any outside load over all of them alike.
 */
export async function timeInterleaved(
  runs: number,
  fns: readonly (() => Promise<unknown>)[]
): Promise<Array<{ wall: Summary; cpu: Summary }>> {
  for (const fn of fns) await fn();
  const wall: number[][] = fns.map(() => []);
  const cpu: number[][] = fns.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (const [i, fn] of fns.entries()) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await fn();
      const t1 = process.hrtime.bigint();
      const c = process.cpuUsage(cpu0);
      wall[i]!.push(Number(t1 - t0) / 1e9);
      cpu[i]!.push((c.user + c.system) / 1e6);
    }
  }
  return fns.map((_, i) => ({ wall: summarize(wall[i]!), cpu: summarize(cpu[i]!) }));
}

export type Verdict = 'PASS' | 'MISS';

export function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'MISS';
}

/** Seconds, with a unit that keeps three significant figures readable: `812 µs`, `14.2 ms`, `3.41 s`. */
export function fmtSeconds(s: number): string {
  if (s < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toPrecision(3)} s`;
}

/** min / median / max in one cell, median in bold. */
export function fmtSummary(s: Summary, fmt: (n: number) => string = fmtSeconds): string {
  return `${fmt(s.min)} / **${fmt(s.median)}** / ${fmt(s.max)}`;
}

/** Bytes in the product's decimal units (MB = 1000²), as the action's comment prints them. */
export function fmtBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toPrecision(3)} ${units[u]}`;
}

export function fmtRatio(r: number): string {
  return `${r.toFixed(2)}×`;
}

/** Throughput of `bytes` processed in `seconds`, in MB/s. */
export function fmtRate(bytes: number, seconds: number): string {
  return seconds > 0 ? `${(bytes / 1e6 / seconds).toFixed(0)} MB/s` : '-';
}
