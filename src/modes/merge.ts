// `mode: merge`: the reports of other jobs (a matrix, one image each) published as one. Builds
// nothing and judges nothing: the rows and their verdicts are the reports'. What comes out is
// published exactly as a measuring run's outcome is (main.ts), under this step's comment-key.
//
// Any report that cannot be used fails the step before anything is published, naming the input and
// the file: a merge that silently left one job out would show a green comment for a red image.
// Only the limits on how many reports and bytes are read together (workspace/report-files.ts) leave
// reports out, and never silently: a warning names them, a note under the table says how many, and
// the step fails after publishing what it read (a report left out may be a red image).
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';
import type { Inputs } from '../model.js';
import { headFailuresOf, mergeReports, type ReportSource } from '../report/merge.js';
import { ReportSourceError, leftOutWarning, readReports, type ReadReports } from '../workspace/report-files.js';
import { withLeftOut, type FromReports, type ModeDeps } from './reports.js';

const EXPECTED = 'image-budget reports (schema version 1) in regular files inside the workspace or RUNNER_TEMP';

/** The problems of reading one report, as the failure of the `reports` input. */
function refusedInput(error: ReportSourceError): InputError {
  return new InputError(INPUT.reports, error.label, EXPECTED, { problem: `is refused: ${error.reason}` });
}


export async function mergeMode(deps: ModeDeps, inputs: Inputs): Promise<FromReports> {
  const { env, log } = deps;
  let read: ReadReports;
  try {
    read = await readReports(inputs.reports, env);
  } catch (error) {
    if (error instanceof ReportSourceError) throw refusedInput(error);
    throw error;
  }
  const sources: ReportSource[] = read.sources;
  const leftOut = leftOutWarning(read);
  if (leftOut) log.warning(leftOut);
  const merged = mergeReports(sources);
  if (!merged.ok) {
    throw new InputError(INPUT.reports, undefined, 'reports of different images, targets or platforms, judging the same size', {
      subject: `the ${sources.length} reports`,
      problem: `cannot be merged: ${merged.error}`
    });
  }
  for (const warning of merged.warnings) log.warning(warning);
  log.info(
    `Merged ${sources.length} report${sources.length === 1 ? '' : 's'} into ${merged.outcome.rows.length} row${merged.outcome.rows.length === 1 ? '' : 's'}: ` +
      sources.map((s) => s.label).join(', ')
  );
  return {
    outcome: withLeftOut(merged.outcome, read),
    ...(merged.pullRequest ? { pullRequest: merged.pullRequest } : {}),
    headFailures: headFailuresOf(merged.outcome),
    ...(leftOut ? { incomplete: leftOut } : {})
  };
}
