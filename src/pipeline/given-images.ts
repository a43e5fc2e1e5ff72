// Step 4 with `images`: the head is not built. Each target's image, built by an earlier step, is
// measured where it is: an image of the engine (the `imageid` of docker/build-push-action, or a
// name) through `docker save`, streamed (the containerd store's saves hold the stored, compressed
// layers: measured as an OCI export is; the classic store's hold uncompressed layers: measured as
// measureLoaded does, compressed sizes estimated); otherwise, when the value is a registry
// reference, in its registry, never pulled. What cannot be measured is that target's failure.
import { probeImageStore } from '../buildx/probe.js';
import { maskSecrets } from '../buildx/failure.js';
import { errorMessage } from '../errors.js';
import type { MeasureOptions } from '../image/measure.js';
import { measureOciStream } from '../image/oci-stream.js';
import { ANY_PLATFORM, type ImageStats, type SideResult, type TargetResults } from '../model.js';
import { measureRegistryImage } from '../registry/measure.js';
import { isLocalImageId, isRegistryReference } from '../registry/reference.js';
import { measureLoaded, type SideDeps } from './side.js';
import { maskImagePaths } from './masks.js';

export interface GivenImagesRequest {
  /** Each target's image (inputs.ts imagesPerTarget), in target order. */
  readonly images: ReadonlyMap<string, string>;
  readonly platforms: readonly string[];
  readonly secrets: readonly string[];
  readonly files: boolean;
}

export async function measureGivenImages(deps: SideDeps, req: GivenImagesRequest): Promise<TargetResults[]> {
  const out: TargetResults[] = [];
  for (const [target, image] of req.images) {
    const results = await deps.log.group(`Measure head target ${target}: ${image} (not built)`, async () => {
      const options: MeasureOptions = {
        target,
        secrets: req.secrets,
        onWarning: (m) => deps.log.warning(m),
        files: req.files,
        ...(deps.layers ? { shared: deps.layers } : {})
      };
      try {
        const images = await measureOne(deps, image, options, req.platforms);
        deps.log.info(`${target}: ${image} measured (${images.map((i) => `${i.platform} ${i.digest}`).join(', ')}).`);
        return images.map((i) => ({ platform: i.platform, result: measured(i, req.secrets) }));
      } catch (e) {
        const message = maskSecrets(errorMessage(e), req.secrets);
        deps.log.warning(`${target}: ${image} could not be measured: ${message}`);
        return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: `measurement of ${image} failed: ${message}` } as SideResult }];
      }
    });
    out.push({ target, results });
  }
  return out;
}

function measured(image: ImageStats, secrets: readonly string[]): SideResult {
  return { state: 'measured', image: maskImagePaths(image, secrets) };
}

/** An image of the engine when docker knows it, else one of its registry. */
async function measureOne(deps: SideDeps, image: string, options: MeasureOptions, platforms: readonly string[]): Promise<ImageStats[]> {
  const inspect = await deps.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', image], { env: deps.env });
  if (inspect.code === 0) return measureEngineImage(deps, image, options);
  const why = inspect.stderr.trim().split('\n').pop() ?? `exit code ${inspect.code}`;
  if (isLocalImageId(image) || !isRegistryReference(image)) throw new Error(`not an image of the engine (docker: ${why})`);
  const wanted = platforms.length ? platforms : [undefined];
  return Promise.all(
    wanted.map((platform) =>
      measureRegistryImage(image, {
        ...options,
        files: options.files === true,
        ...(platform !== undefined ? { platform } : {}),
        client: { env: deps.env }
      })
    )
  );
}

/** `docker save` streamed into the measurement that fits the engine's image store. */
async function measureEngineImage(deps: SideDeps, image: string, options: MeasureOptions): Promise<ImageStats[]> {
  const classic = (await probeImageStore(deps.exec, deps.env)) === 'classic';
  return measureLoaded(deps, image, options, classic ? undefined : measureOciStream);
}
