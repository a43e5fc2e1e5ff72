// Storing a measuring run's report as the baseline of its commit (baseline/store.ts says which
// events do), one per image with a config file. A store that fails costs a warning, never the run.
import { baselineKey, storesBaseline } from '../baseline/store.js';
import { errorMessage } from '../errors.js';
import type { Outcome } from '../model.js';
import { storageInputs } from '../pipeline/config-images.js';
import { buildReport, type Report } from '../report/report.js';
import { published, type Measured } from './publish.js';


/**
 * Stores the report as the baseline of the measured commit, on push, schedule and dispatch runs
 * whose head builds all succeeded. A store that fails costs a warning, never the run.
 */
export async function storeBaseline(p: Measured, report: Report): Promise<void> {
  const { event, inputs, baselines, deps } = p;
  const sha = event.headSha;
  if (!storesBaseline(event.event) || !sha || !event.repo || report.repository === '') return;
  // With a config file, each image's own report under its own key: a pull request looks each image
  // up on its own, and an image whose build failed does not keep the others from being stored.
  const parts = p.images
    ? p.images.map((image) => ({ what: `the report of image ${image.name}`, key: image.key, failed: image.headFailures.length > 0, report: imageReport(report, image.outcome) }))
    : [{ what: 'this report', key: storageInputs(inputs).commentKey, failed: p.headFailures.length > 0, report }];
  for (const part of parts) {
    if (part.failed) {
      deps.log.info(`Not storing ${part.what} as the baseline of ${sha}: a head build failed.`);
      continue;
    }
    const key = baselineKey(report.repository, part.key, sha);
    try {
      const wrote = await baselines.save(key, JSON.stringify(published(deps, inputs, part.report)));
      deps.log.info(
        wrote
          ? `Stored ${part.what} as the baseline of ${sha} in ${baselines.description} (key ${key}).`
          : `A baseline of ${sha} is already stored in ${baselines.description} (key ${key}); it was kept.`
      );
    } catch (e) {
      deps.log.warning(
        `Could not store ${part.what} as the baseline of ${sha}: ${errorMessage(e)}. Pull requests based on this commit will build their base instead.`
      );
    }
  }
}

/** The report of one image of the run that made `report` (same tool, event, repository, run and time). */
function imageReport(report: Report, outcome: Outcome): Report {
  return buildReport(outcome, {
    tool: report.tool,
    event: report.event,
    repository: report.repository,
    ...(report.runId !== undefined ? { runId: report.runId } : {}),
    createdAt: report.createdAt
  });
}
