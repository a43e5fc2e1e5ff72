// Finishes a bundle that ncc wrote into OUT_DIR, from its webpack stats (`ncc build --stats-out`):
//
//   node scripts/bundle-files.mjs STATS.json OUT_DIR
//
// - OUT_DIR/licenses.txt for every chunk. ncc's own `--license` file lists only the packages of the
//   last chunk it writes, and the action's bundle has several (dist/index.js, and the chunks it
//   loads on first use: @actions/github and undici, @actions/core's OIDC client). This lists every package of
//   every chunk in the same format (name, license type, license text, sorted by name), read the same
//   way: `license` (or the first of `licenses`) of the package.json, and its first LICENSE/LICENCE file.
// - No stale chunk: ncc never removes files from OUT_DIR, so a chunk of an earlier build
//   (`<id>.index.js`) that this build did not write is removed, and dist/ stays the build's.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [statsFile, outDir] = process.argv.slice(2);
if (!statsFile || !outDir) {
  console.error('usage: node scripts/bundle-files.mjs STATS.json OUT_DIR');
  process.exit(2);
}

const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
const root = process.cwd();

/** Every module's resource path, concatenated modules included. */
function resources(modules, out = new Set()) {
  for (const m of modules ?? []) {
    const name = m.nameForCondition ?? m.name;
    if (typeof name === 'string') out.add(name.replace(/^\.\//, ''));
    resources(m.modules, out);
  }
  return out;
}

/** The directory of the innermost package holding `file` under a node_modules folder, if any. */
function packageDir(file) {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const depth = parts[at + 1]?.startsWith('@') ? 2 : 1;
  return path.resolve(root, parts.slice(0, at + 1 + depth).join('/'));
}

function licenseType(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license && typeof pkg.license.type === 'string') return pkg.license.type;
  if (Array.isArray(pkg.licenses) && pkg.licenses[0] && typeof pkg.licenses[0].type === 'string') return pkg.licenses[0].type;
  return undefined;
}

function licenseText(dir, type) {
  const read = (name) => readFileSync(path.join(dir, name), 'utf8').replace(/\r\n/g, '\n');
  if (type?.startsWith('SEE LICENSE IN ')) {
    const name = type.split(' ')[3];
    return name ? read(name) : undefined;
  }
  const file = readdirSync(dir)
    .sort()
    .find((name) => /^licen[cs]e/i.test(name) && !statSync(path.join(dir, name)).isDirectory());
  return file ? read(file) : undefined;
}

const packages = new Map();
for (const file of resources(stats.modules)) {
  const dir = packageDir(file);
  if (!dir) continue;
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (typeof pkg.name !== 'string' || packages.has(pkg.name)) continue;
  const type = licenseType(pkg);
  packages.set(pkg.name, { name: pkg.name, type, text: licenseText(dir, type) });
}
if (packages.size === 0) throw new Error(`${statsFile} names no module of a package: is it ncc's --stats-out file?`);

const text = [...packages.values()]
  .sort((a, b) => (a.name < b.name ? -1 : 1))
  .map((p) => `${p.name}${p.type ? `\n${p.type}` : ''}${p.text ? `\n${p.text}` : ''}\n\n`)
  .join('')
  .trim();
const outFile = path.join(outDir, 'licenses.txt');
writeFileSync(outFile, `${text}\n`);
console.error(`bundle: ${packages.size} packages in ${outFile}`);

const written = new Set((stats.assets ?? []).map((a) => a.name));
if (!written.has('index.js')) throw new Error(`${statsFile} lists no index.js: not the stats of the bundle in ${outDir}`);
for (const name of readdirSync(outDir)) {
  if (/^\d+\.index\.js$/.test(name) && !written.has(name)) {
    rmSync(path.join(outDir, name));
    console.error(`bundle: removed ${name}, a chunk of an earlier build`);
  }
}
