// `image-budget measure SOURCE`: reads one image with the action's measurement modules. SOURCE is a
// directory (an OCI layout, measureOciLayout), a file (a `docker save` or OCI layout tar, extracted
// by archive.ts), or else an image of the local engine, never pulled: streamed through `docker save`
// into measureDockerSave on the classic image store, read as an OCI layout on the containerd store.
// A name the engine does not have (or with no engine at all) that reads as a registry reference is
// measured in its registry (registry/measure.ts: the runner's platform, every layer streamed once,
// nothing stored), with the credentials `docker login` left in the docker config.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { probeImageStore } from '../buildx/probe.js';
import { errorMessage } from '../errors.js';
import { spawnStream } from '../exec.js';
import { measureDockerSave, type DockerSaveOptions } from '../image/docker-save.js';
import { measureOciLayout } from '../image/measure.js';
import { parseInputs } from '../inputs/inputs.js';
import { measureRegistryImage } from '../registry/measure.js';
import { isRegistryReference } from '../registry/reference.js';
import { INPUT } from '../inputs/names.js';
import { neutralizeJsonCommands } from '../log.js';
import type { DetailKind, ImageStats, MeasureMethod } from '../model.js';
import { measureLoaded } from '../pipeline/side.js';
import { auditCauses } from '../report/causes.js';
import { renderMeasurement } from '../report/terminal.js';
import { colourWanted, painter } from '../report/terminal-text.js';
import { TOOL } from '../tool.js';
import { EXIT, type MeasureCommand } from './args.js';
import { extract, measureExtracted, startsWith, tempDir, type Measured } from './archive.js';
import { cleanUpOnInterrupt, runCleanups } from './cleanups.js';
import { CliError, lastLine, terminalWidth, type CliIO } from './io.js';
import { Progress } from './progress.js';

/** `--details` and `--advice` through the action's own parser (every other input at its default). */
function shownOf(command: MeasureCommand): { readonly details: readonly DetailKind[]; readonly advice: boolean } {
  const inputs = parseInputs((name) => (name === INPUT.details ? (command.details ?? '') : name === INPUT.advice ? (command.advice ?? '') : ''));
  return { details: inputs.details, advice: inputs.advice };
}

export async function measureCommand(command: MeasureCommand, io: CliIO): Promise<number> {
  const progress = new Progress(io.stderr, painter(colourWanted(io.env, io.stderr.isTTY === true)), command.verbose);
  const { details, advice } = shownOf(command);
  const options: DockerSaveOptions = {
    target: command.source,
    secrets: [],
    onWarning: (m) => progress.warning(m),
    // File lists cost a tar parse of every layer: only when shown, or read for the advice.
    files: details.includes('files') || advice
  };
  const cleanups: Array<() => Promise<unknown>> = [];
  const release = cleanUpOnInterrupt(cleanups, progress);
  try {
    const measured = await progress.group(`Measure ${command.source}`, () => measureSource(command.source, io, options, cleanups));
    if (command.json) {
      io.stdout.write(neutralizeJsonCommands(`${JSON.stringify(measurementJson(command.source, measured, advice), null, 2)}\n`));
    } else {
      const width = terminalWidth(io.stdout);
      io.stdout.write(
        renderMeasurement(
          { source: command.source, kind: `${measured.kind}, ${measured.kind === 'registry image' ? REGISTRY_TEXT : METHOD_TEXT[measured.images[0]?.method ?? 'oci-layout']}`, images: measured.images },
          { colour: colourWanted(io.env, io.stdout.isTTY === true), details, advice, ...(width ? { width } : {}) }
        )
      );
    }
    return EXIT.ok;
  } finally {
    await runCleanups(cleanups, progress);
    release();
  }
}

const REGISTRY_TEXT = 'read from the registry, never pulled';
const METHOD_TEXT: Readonly<Record<MeasureMethod, string>> = {
  'oci-layout': 'read as an OCI layout',
  'docker-save': 'read as a docker save'
};

/**
 * The JSON of `measure --json`: the report's per-image fields (docs/report-schema.md), per image,
 * and with `--advice` (the default) the causes found in it, as the terminal lists them.
 */
function measurementJson(source: string, measured: Measured, advice: boolean): unknown {
  return {
    schema: 'image-budget/measurement',
    version: 1,
    tool: TOOL,
    createdAt: new Date().toISOString(),
    source: { name: source, kind: measured.kind },
    images: measured.images.map((i) => ({
      platform: i.platform,
      digest: i.digest,
      configDigest: i.configDigest,
      compressedBytes: i.compressedBytes,
      ...(i.compressedEstimated ? { compressedEstimated: true } : {}),
      uncompressedBytes: i.uncompressedBytes,
      layerCount: i.layerCount,
      method: i.method,
      // The final file list stays out, as in the report: it can be millions of entries.
      ...(i.files ? { files: { wastedBytes: i.files.wastedBytes, wasted: i.files.wasted } } : {}),
      ...(advice ? { causes: causesJson(i) } : {}),
      layers: i.layers.map((l) => ({ ...l }))
    }))
  };
}

/** Every cause found in the image (the audit): what, its fix, its bytes and files, and where (`/dir/`, the layer that added most). */
function causesJson(image: ImageStats): unknown[] {
  return (auditCauses(image)?.causes ?? []).map((c) => ({
    id: c.id,
    cause: c.cause,
    fix: c.fix,
    bytes: c.bytes,
    files: c.files,
    directories: c.groups.map((g) => ({ path: `/${g.dir}`, bytes: g.bytes, files: g.files, ...(g.layer ? { layer: g.layer.index + 1, instruction: g.layer.instruction } : {}) }))
  }));
}

/**
 * A path that exists is an archive (file) or an OCI layout (directory); anything else is an image of
 * the engine. A name that looks like a path but is not there is an error, not an image lookup.
 */
async function measureSource(source: string, io: CliIO, options: DockerSaveOptions, cleanups: Array<() => Promise<unknown>>): Promise<Measured> {
  const where = path.resolve(io.cwd, source);
  const st = await stat(where).catch(() => undefined);
  if (st?.isDirectory()) return { kind: 'OCI layout', images: await measureOciLayout(where, options) };
  if (st?.isFile()) {
    const dir = await tempDir(cleanups);
    await extract({ file: where }, dir, io);
    const gzip = await startsWith(where, [0x1f, 0x8b]);
    // A gzipped save (`docker save | gzip`) is inflated on the way, as tar did.
    const reread = (): Promise<ImageStats[]> => measureDockerSave(gzip ? createReadStream(where).pipe(createGunzip()) : createReadStream(where), options);
    return measureExtracted(dir, reread, options, 'archive');
  }
  if (st) throw new CliError(`${source} is neither a file nor a directory`);
  if (/^(?:[./~]|[A-Za-z]:[\\/])|\.(?:tar|tgz|tar\.gz)$/i.test(source)) throw new CliError(`${source}: no such file or directory`);
  return measureEngineImage(source, io, options, cleanups);
}

/**
 * An image of the local engine, never pulled. On the classic image store it is streamed through
 * `docker save` into measureDockerSave (measureLoaded: what the action does there); on the
 * containerd store, `docker save` gives the stored, compressed layers, read as an OCI layout.
 */
async function measureEngineImage(name: string, io: CliIO, options: DockerSaveOptions, cleanups: Array<() => Promise<unknown>>): Promise<Measured> {
  // Checked before docker sees it: an option-like or multi-line name is a mistake, never a flag.
  if (name.startsWith('-') || /[\s\u0000-\u001f\u007f]/.test(name)) {
    throw new CliError(`${JSON.stringify(name)} is neither an existing path nor an image name`);
  }
  const inspect = await io.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', name], { env: io.env }).catch((e: unknown) => {
    if (isRegistryReference(name)) return { code: -1, stdout: '', stderr: errorMessage(e) };
    throw new CliError(`measuring an image of the engine needs docker: ${errorMessage(e)}`);
  });
  if (inspect.code !== 0) {
    const notHere = `${name} is not a file, a directory or an image of the Docker engine${io.env.DOCKER_HOST ? ` at ${io.env.DOCKER_HOST}` : ''}`;
    const why = `docker: ${lastLine(inspect.stderr) || `exit code ${inspect.code}`}`;
    if (isRegistryReference(name)) return measureInRegistry(name, io, options, `${notHere} (${why})`);
    throw new CliError(`${notHere} (${why}); images are never pulled: docker pull it first`);
  }
  const deps = { env: io.env };
  if ((await probeImageStore(io.exec, io.env)) === 'classic') return { kind: 'engine image', images: await measureLoaded(deps, name, options) };
  const dir = await tempDir(cleanups);
  const save = spawnStream('docker', ['save', '--', name], { env: io.env });
  try {
    await extract({ stream: save.stdout }, dir, io);
  } catch (e) {
    // tar gave up: docker save must not linger, writing into a closed pipe.
    save.kill();
    throw e;
  }
  const saved = await save.done;
  if (saved.code !== 0) throw new CliError(`docker save ${name} failed: ${lastLine(saved.stderr) || `exit code ${saved.code}`}`);
  return measureExtracted(dir, () => measureLoaded(deps, name, options), options, 'image');
}

/**
 * An image the engine does not have, read in its registry (never pulled into the engine): the
 * runner's platform, every layer streamed for its uncompressed size (and files when asked).
 */
async function measureInRegistry(name: string, io: CliIO, options: DockerSaveOptions, notHere: string): Promise<Measured> {
  try {
    const image = await measureRegistryImage(name, {
      target: options.target,
      secrets: options.secrets,
      files: options.files === true,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      client: { env: io.env }
    });
    return { kind: 'registry image', images: [image] };
  } catch (e) {
    throw new CliError(`${notHere}, and its registry could not be read: ${errorMessage(e)}`);
  }
}
