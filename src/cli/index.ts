#!/usr/bin/env node
// Entry point of the command line (package.json `bin`: `image-budget compare|measure ...`). The work
// is in main.ts and the command modules; this file only binds it to the real process.
import { exec } from '../exec.js';
import { main } from './main.js';

// `image-budget compare --json | head`: a reader that stops early is no error, and the run must go on
// to clean up (remove the base checkout) and exit with its verdict.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), exec }).then(
  (code) => {
    // exitCode rather than exit(): stdout may still be draining into a pipe.
    process.exitCode = code;
  },
  (error: unknown) => {
    // main turns every failure into a message and a code; reaching this is a bug, said as plainly.
    process.stderr.write(`image-budget: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  }
);
