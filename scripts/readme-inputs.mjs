// Regenerates the inputs and outputs tables of README.md from action.yml (between the
// <!-- inputs:start/end --> and <!-- outputs:start/end --> markers).
//   node scripts/readme-inputs.mjs          rewrite README.md
//   node scripts/readme-inputs.mjs --check  exit 1 when README.md is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url);
const action = parse(readFileSync(new URL('action.yml', root), 'utf8'));
const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ').trim();
const code = (s) => (s === undefined || s === '' ? '' : `\`${String(s)}\``);

export function tables() {
  const inputs = ['| input | default | description |', '|---|---|---|'];
  for (const [name, spec] of Object.entries(action.inputs)) inputs.push(`| \`${name}\` | ${cell(code(spec.default))} | ${cell(spec.description)} |`);
  const outputs = ['| output | description |', '|---|---|'];
  for (const [name, spec] of Object.entries(action.outputs)) outputs.push(`| \`${name}\` | ${cell(spec.description)} |`);
  return { inputs: inputs.join('\n'), outputs: outputs.join('\n') };
}

function replace(text, key, body) {
  const re = new RegExp(`(<!-- ${key}:start -->\\n)[\\s\\S]*?(\\n<!-- ${key}:end -->)`);
  if (!re.test(text)) throw new Error(`README.md has no <!-- ${key}:start/end --> markers`);
  return text.replace(re, `$1${body}$2`);
}

const readmeUrl = new URL('README.md', root);
const current = readFileSync(readmeUrl, 'utf8');
const t = tables();
const next = replace(replace(current, 'inputs', t.inputs), 'outputs', t.outputs);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('README.md tables differ from action.yml: run node scripts/readme-inputs.mjs');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(readmeUrl, next);
}
