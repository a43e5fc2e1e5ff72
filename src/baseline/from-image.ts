// The baseline of `base-image`: each head target compared with a pushed image, read in its registry
// (registry/measure.ts): compressed sizes and layers from the manifests, uncompressed sizes and files
// from streaming the layer blobs once; never pulled, never built. One image per target (the value
// for all targets, or the target's own), one reading per platform asked for (the runner's when the
// run names none). Any image that cannot be read makes the whole baseline unavailable, with why:
// the caller then falls back to what `baseline` says.
import { errorMessage } from '../errors.js';
import { imagesPerTarget } from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';
import type { Log } from '../log.js';
import type { ImageStats, PerTarget, TargetResults } from '../model.js';
import { measureRegistryImage } from '../registry/measure.js';

export interface ImageBaselineRequest {
  readonly images: PerTarget<string>;
  /** The head's targets: each needs an image. */
  readonly targets: readonly string[];
  /** The run's platforms; none: the runner's. */
  readonly platforms: readonly string[];
  /** Also read the files (details `files`, `max-wasted`, advice). */
  readonly files: boolean;
  /** Values never shown (build-arg values, tokens): redacted from the layers' instructions. */
  readonly secrets: readonly string[];
  /** For the registry's credentials (DOCKER_CONFIG, HOME, PATH for credential helpers). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
}

export type ImageBaseline =
  | { readonly ok: true; readonly results: TargetResults[]; readonly notes: string[] }
  | { readonly ok: false; readonly reason: string };

/** Reads every target's base image; the first that cannot be read makes the baseline unavailable. */
export async function imageBaseline(req: ImageBaselineRequest): Promise<ImageBaseline> {
  const refs = imagesPerTarget(INPUT.baseImage, req.images, req.targets);
  const results: TargetResults[] = [];
  const notes: string[] = [];
  for (const [target, ref] of refs) {
    try {
      const platforms = req.platforms.length ? req.platforms : [undefined];
      const measured = await req.log.group(`Read base image ${ref} (${target})`, () =>
        Promise.all(platforms.map((platform) => readOne(req, target, ref, platform)))
      );
      results.push({ target, results: measured.map((image) => ({ platform: image.platform, result: { state: 'measured', image } })) });
      const digests = measured.map((m) => `${m.platform} ${m.digest}`).join(', ');
      req.log.info(`Base of ${target}: ${ref} (${digests}), read in its registry; the base is not built.`);
      notes.push(`Baseline of ${target}: the pushed image ${ref} (${digests}); the base was not built.`);
    } catch (e) {
      return { ok: false, reason: `base-image ${ref} (${target}) could not be read: ${errorMessage(e)}` };
    }
  }
  return { ok: true, results, notes };
}

function readOne(req: ImageBaselineRequest, target: string, ref: string, platform: string | undefined): Promise<ImageStats> {
  return measureRegistryImage(ref, {
    target,
    secrets: req.secrets,
    ...(platform !== undefined ? { platform } : {}),
    files: req.files,
    onWarning: (m) => req.log.warning(m),
    client: { env: req.env }
  });
}
