// What the selected builder can do, probed once and passed on as data.
// The parsers are pure (text in, data out); `probeBuilder` and `probeImageStore` are the only I/O here.
import type { Exec } from '../exec.js';
import { dockerClientEnv } from './env.js';
import { errorMessage } from '../errors.js';

export interface BuilderInfo {
  readonly name: string;
  readonly driver: string;
  readonly status: string | undefined;
  readonly platforms: readonly string[];
  /** The error buildx printed instead of the builder's details (it exits 0 when the daemon is down). */
  readonly error?: string;
}

export type ImageStore = 'containerd' | 'classic' | 'not-applicable';

export interface Capabilities {
  readonly buildxVersion: string;
  readonly builder: BuilderInfo;
  readonly imageStore: ImageStore;
  /** The builder can write an OCI image layout (`--output type=oci`). */
  readonly ociExport: boolean;
  /** The builder can export build cache (`--cache-to`). */
  readonly cacheExport: boolean;
}

/** `docker buildx version` → "0.13.1+ds1". */
export function parseBuildxVersion(text: string): string | undefined {
  const m = /github\.com\/docker\/buildx\s+v?(\S+)/.exec(text) ?? /buildx\s+v?(\d+\.\d+\S*)/.exec(text);
  return m?.[1];
}

/** `docker buildx inspect [name]` → the builder and its first node. */
export function parseBuildxInspect(text: string): BuilderInfo {
  const lines = text.split('\n');
  const value = (key: string, from = 0): string | undefined => {
    for (let i = from; i < lines.length; i++) {
      const m = new RegExp(`^${key}:\\s*(.*)$`).exec(lines[i] ?? '');
      if (m) return m[1]?.trim();
    }
    return undefined;
  };
  const nodesAt = lines.findIndex((l) => l.startsWith('Nodes:'));
  const platforms = (value('Platforms', Math.max(nodesAt, 0)) ?? '')
    .split(',')
    .map((p) => p.replace(/\*$/, '').trim())
    .filter(Boolean);
  const error = value('Error');
  return {
    name: value('Name') ?? 'default',
    driver: value('Driver') ?? '',
    status: nodesAt >= 0 ? value('Status', nodesAt) : undefined,
    platforms,
    ...(error ? { error } : {})
  };
}

/** `docker info --format '{{json .DriverStatus}}'` → which image store the engine uses. */
export function parseImageStore(driverStatusJson: string): 'containerd' | 'classic' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(driverStatusJson);
  } catch {
    return 'classic';
  }
  if (!Array.isArray(parsed)) return 'classic';
  const containerd = parsed.some(
    (pair) => Array.isArray(pair) && pair[0] === 'driver-type' && String(pair[1]).includes('io.containerd.snapshotter')
  );
  return containerd ? 'containerd' : 'classic';
}

export function capabilities(buildxVersion: string, builder: BuilderInfo, store: ImageStore): Capabilities {
  const classicDocker = builder.driver === 'docker' && store === 'classic';
  return { buildxVersion, builder, imageStore: store, ociExport: !classicDocker, cacheExport: !classicDocker };
}

export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const firstLine = (s: string): string => lines(s)[0] ?? '';
const lastLine = (s: string): string => lines(s).pop() ?? '';

/**
 * Probe docker, buildx and the builder once. Fails fast with an actionable message (RELIABILITY row 9).
 * `env` is docker's environment: by default this process's, without inputs or tokens. The three
 * questions are asked at once (each is a process start of about 0.1 s); the answers are read in
 * order: buildx, then the builder, then (for the `docker` driver alone) the image store.
 */
export async function probeBuilder(exec: Exec, builderName: string | undefined, env: NodeJS.ProcessEnv = dockerClientEnv(process.env)): Promise<Capabilities> {
  const setup = 'Install Docker with the buildx plugin, or see docker/setup-buildx-action (add it before this step).';
  const inspecting = exec('docker', ['buildx', 'inspect', ...(builderName ? ['--', builderName] : [])], { env });
  const storing = probeImageStore(exec, env);
  // Read only when needed below: a failure meanwhile is not an unhandled one.
  inspecting.catch(() => undefined);
  storing.catch(() => undefined);
  const version = await exec('docker', ['buildx', 'version'], { env }).catch((e: unknown) => {
    throw new EngineError(`Docker buildx is required but docker could not be run: ${errorMessage(e)}. ${setup}`);
  });
  const buildxVersion = version.code === 0 ? parseBuildxVersion(version.stdout) : undefined;
  if (!buildxVersion) {
    // docker's own words come first ("docker: unknown command: docker buildx", or before CLI 24
    // "docker: 'buildx' is not a docker command."); a "Run 'docker --help'" line follows them.
    const said = firstLine(version.stderr) || firstLine(version.stdout) || `exit code ${version.code}`;
    throw new EngineError(`Docker buildx is required but \`docker buildx version\` failed: ${said}. ${setup}`);
  }
  // The builder first: a remote or Kubernetes builder needs no local daemon at all.
  const inspect = await inspecting;
  const builder = parseBuildxInspect(inspect.stdout);
  if (inspect.code !== 0 || builder.error || !builder.driver) {
    const reason = builder.error ?? (lastLine(inspect.stderr) || 'no driver reported');
    if (/Cannot connect to the Docker daemon|docker daemon/i.test(reason)) {
      throw new EngineError(`The Docker daemon is not reachable: ${reason}`);
    }
    throw new EngineError(
      `Builder ${builderName ? `"${builderName}" ` : ''}could not be inspected: ${reason}. ` +
        'List the available builders with `docker buildx ls`.'
    );
  }
  const store: ImageStore = builder.driver === 'docker' ? await storing : 'not-applicable';
  return capabilities(buildxVersion, builder, store);
}

/**
 * Which image store the engine uses, from `docker info` (its DriverStatus, read by parseImageStore).
 * The one place `docker info` is run: the builder probe and the command line's `measure` use it.
 */
export async function probeImageStore(exec: Exec, env: NodeJS.ProcessEnv): Promise<'containerd' | 'classic'> {
  const info = await exec('docker', ['info', '--format', '{{json .DriverStatus}}'], { env });
  if (info.code !== 0) {
    throw new EngineError(`The Docker daemon is not reachable: ${lastLine(info.stderr) || `exit code ${info.code}`}`);
  }
  return parseImageStore(info.stdout);
}
