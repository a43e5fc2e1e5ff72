// Which image of a multi-platform index is measured: the one for the platform asked for, else the
// runner's own (`linux/` and Node's architecture in Go's names: x64 is amd64). Matching as
// containerd's default matcher does it for one platform: os and architecture equal, the variant
// equal when one is asked for; without one, an image without a variant or with the architecture's
// default one (arm64/v8, arm/v7) is preferred. Attestation manifests were left out before. Pure.
import { platformString, type Descriptor, type Platform } from '../image/oci.js';

const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7' };
const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

/** The runner's platform: `linux/amd64` on x64, `linux/arm64` on arm64. */
export function runnerPlatform(arch: string = process.arch): string {
  return `linux/${GO_ARCH[arch] ?? arch}`;
}

/** `os/arch[/variant]` parsed; throws for anything else, naming the value. */
export function parsePlatform(value: string): Platform {
  const parts = value.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new Error(`${JSON.stringify(value)} is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const architecture = ARCH_ALIASES[arch] ?? arch;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function sameVariant(a: string | undefined, b: string | undefined, arch: string): boolean {
  const def = DEFAULT_VARIANT[arch];
  return (a ?? def) === (b ?? def);
}

/**
 * The descriptor of `descs` for `wanted` (a platform string); undefined when none fits. Descriptors
 * without a platform never fit.
 */
export function pickPlatform(descs: readonly Descriptor[], wanted: string): Descriptor | undefined {
  const want = parsePlatform(wanted);
  const fits = descs.filter((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture);
  if (want.variant !== undefined) return fits.find((d) => sameVariant(d.platform?.variant, want.variant, want.architecture));
  return fits.find((d) => d.platform?.variant === undefined) ?? fits.find((d) => sameVariant(d.platform?.variant, undefined, want.architecture)) ?? fits[0];
}

/** The platforms an index offers, for the message when the one asked for is not among them. */
export function offeredPlatforms(descs: readonly Descriptor[]): string[] {
  return [...new Set(descs.flatMap((d) => (d.platform ? [platformString(d.platform)] : [])))];
}

/** Whether an image's platform string (`linux/arm64/v8`) is the one asked for. */
export function platformMatches(actual: string, wanted: string): boolean {
  const a = parsePlatform(actual);
  const w = parsePlatform(wanted);
  return a.os === w.os && a.architecture === w.architecture && (w.variant === undefined || sameVariant(a.variant, w.variant, w.architecture));
}
