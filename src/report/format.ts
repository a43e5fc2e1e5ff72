// Number formatting for the comment, the summary and verdict reasons. Pure.
//
// Sizes use decimal units like `docker images` (1 kB = 1000 B) with three significant digits, and
// the ASCII hyphen-minus for negative values everywhere (it survives copy-paste, logs and JSON).
import type { RowStatus, Threshold } from '../model.js';
import type { LayerChange } from './compare.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

/** `0 B`, `999 B`, `1.23 kB`, `12.3 MB`, `1.05 GB`; negative values get a leading `-`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '? B' : n > 0 ? '∞ B' : '-∞ B';
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(Math.round(n));
  if (abs < 1000) return `${sign}${abs} B`;
  let unit = 0;
  let value = abs;
  while (value >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // 999.6 kB rounds to "1.00e+3"; promote it to the next unit instead.
  if (Number(value.toPrecision(3)) >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${sign}${value.toPrecision(3)} ${DECIMAL_UNITS[unit]}`;
}

/** `+1.20 MB`, `-340 kB`, `0 B`. */
export function formatDelta(n: number): string {
  if (n === 0 || Object.is(n, -0) || Math.round(n) === 0) return '0 B';
  return n > 0 ? `+${formatBytes(n)}` : formatBytes(n);
}

/**
 * `+12.3%`, `-0.4%`, `0%`; `new` when there is no percentage (the base was 0 bytes or missing).
 * A change too small to show at the given precision keeps its sign: `+0.0%`.
 */
export function formatPercent(p: number | null, digits = 1): string {
  if (p === null) return 'new';
  if (Number.isNaN(p)) return '?%';
  if (p === 0) return '0%';
  if (!Number.isFinite(p)) return p > 0 ? '+∞%' : '-∞%';
  const text = Math.abs(p).toFixed(digits);
  return `${p > 0 ? '+' : '-'}${text}%`;
}

/** `4,812`: thousands grouped, the same in every locale. */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A change in a table: `0 B`, `+1.20 MB`, `+1.20 MB (+12.0%)`, `+191 MB (×177)`. */
export function formatChange(bytes: number, percent: number | null): string {
  if (bytes === 0) return '0 B';
  return percent === null ? formatDelta(bytes) : `${formatDelta(bytes)} (${formatGrowth(percent)})`;
}

/** Growth past this percentage reads as a factor: `+17606.4%` is `×177`. */
export const FACTOR_ABOVE_PERCENT = 1000;

/**
 * A change in a table cell: a percentage as {@link formatPercent} up to +1,000%, then the factor
 * the head is of the base, to three digits (`×11.0`, `×92.9`, `×177`, `×1,250`).
 */
export function formatGrowth(p: number | null): string {
  if (p === null || !Number.isFinite(p) || p <= FACTOR_ABOVE_PERCENT) return formatPercent(p);
  const factor = Number((1 + p / 100).toPrecision(3));
  return factor < 100 ? `×${factor.toFixed(1)}` : `×${groupDigits(factor)}`;
}

/**
 * `text` with every run of characters without a space longer than `max` shortened in the middle to
 * `max` characters (`/usr/local/go/src/…/analysisutil/util.go`): a browser breaks a line only at a
 * space inside a code span, so such a run would widen its table past GitHub's column. A path keeps
 * its last segments whole when they fit.
 */
export function shortenRuns(text: string, max: number): string {
  return text.replace(/\S+/gu, (run) => shortenMiddle(run, max));
}

function shortenMiddle(run: string, max: number): string {
  const chars = [...run];
  if (chars.length <= max) return run;
  const room = max - 1;
  // The tail: the longest run of whole segments (`/analysisutil/util.go`) of a quarter to a half of
  // the room, else exactly half; the head: up to the last `/` past a quarter of the room, else the rest.
  let tail = Math.floor(room / 2);
  for (let i = chars.length - tail; i <= chars.length - Math.ceil(room / 4); i++) {
    if (chars[i] === '/') {
      tail = chars.length - i;
      break;
    }
  }
  let head = room - tail;
  const cut = chars.lastIndexOf('/', head - 1);
  if (cut >= Math.ceil(room / 4)) head = cut + 1;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** `10%`, `12.5%`, `25 MB`, `512 KiB`, `1.5 GB`: the normalized form of a parsed threshold. */
export function formatThreshold(t: Threshold): string {
  if (t.kind === 'percent') {
    // Three decimals when they are exact; otherwise every digit (0.0001% must not read 0%).
    const short = trimNumber(t.percent);
    return `${Number(short) === t.percent ? short : String(t.percent)}%`;
  }
  return formatExactBytes(t.bytes);
}

/** Layer count with its change: `8`, `8 (+1)`, `6 (-2)`. */
export function formatCount(n: number, delta?: number): string {
  if (delta === undefined || delta === 0) return String(n);
  return `${n} (${delta > 0 ? '+' : '-'}${Math.abs(delta)})`;
}

/** Short commit id for display. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * A byte count written exactly when a short exact form exists (`25 MB`, `512 KiB`, `1.5 GB`),
 * otherwise in bytes (`12345678 B`). Used for thresholds, where the user's exact number matters.
 */
export function formatExactBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return formatBytes(bytes);
  const candidates: string[] = [];
  for (let i = DECIMAL_UNITS.length - 1; i >= 1; i--) {
    const unitSize = 1000 ** i;
    if (bytes >= unitSize) {
      if (isShortExact(bytes, unitSize)) candidates.push(`${trimNumber(bytes / unitSize)} ${DECIMAL_UNITS[i]}`);
      break;
    }
  }
  for (let i = BINARY_UNITS.length; i >= 1; i--) {
    const unitSize = 1024 ** i;
    if (bytes >= unitSize) {
      if (isShortExact(bytes, unitSize)) candidates.push(`${trimNumber(bytes / unitSize)} ${BINARY_UNITS[i - 1]}`);
      break;
    }
  }
  if (candidates.length === 0) return `${Math.round(bytes)} B`;
  // The shortest exact spelling wins; decimal first on a tie.
  return candidates.reduce((a, b) => (b.length < a.length ? b : a));
}

/** Whether bytes / unitSize has at most three decimals, exactly (1 TB + 1 B is not "1 TB"). */
function isShortExact(bytes: number, unitSize: number): boolean {
  return Number.isInteger(bytes) && (BigInt(bytes) * 1000n) % BigInt(unitSize) === 0n;
}

/** Up to three decimals, without trailing zeros: 10 → "10", 12.50 → "12.5". */
function trimNumber(v: number): string {
  return String(Number(v.toFixed(3)));
}

/** How each row status reads in the comment, the summary and the terminal. */
export const STATUS_LABEL: Readonly<Record<RowStatus, string>> = {
  changed: 'changed',
  unchanged: 'unchanged',
  new: 'new',
  removed: 'removed',
  'no-baseline': 'no baseline',
  'head-failed': 'build failed'
};

/** The order statuses are counted in: what needs attention first. */
export const STATUS_ORDER: readonly RowStatus[] = ['head-failed', 'changed', 'new', 'removed', 'no-baseline', 'unchanged'];

/** `1 layer`, `2 layers`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The title of a layer diff: `2 of 3 layers changed`, counting every layer of either side once (a
 * changed or unchanged pair is one), and `(3 → 1)` after it when the layer count moved.
 */
export function layerChangeTitle(changes: readonly LayerChange[]): string {
  const differing = changes.filter((c) => c.kind !== 'same').length;
  const before = changes.filter((c) => c.kind !== 'added').length;
  const after = changes.filter((c) => c.kind !== 'removed').length;
  return `${differing} of ${plural(changes.length, 'layer')} changed${before === after ? '' : ` (${before} → ${after})`}`;
}
