// The file-level view of an image: layer entry lists applied in order the way an OCI unpacker
// applies them, keeping the final filesystem and the bytes that later layers overwrite or delete
// (dive's "wasted space"). Pure: entries in, FileStats out.
//
// Rules (OCI image spec, "Applying changesets"):
// - `<dir>/.wh.<name>` deletes `<dir>/<name>` and everything under it; `<dir>/.wh..wh..opq` hides
//   every earlier entry of `<dir>`. Whiteouts only hide what lower layers put there: entries of the
//   same layer stay, whatever their order in the tar. Other `.wh..wh.*` names (aufs metadata) and
//   everything under them are ignored.
// - An entry replaces what was at its path, except a directory over a directory, which merges.
// - A path under a non-directory turns that component into a directory (the file goes, as wasted).
//   Symlinks are not followed: the model lists paths as the layers name them.
// - Hard links are kept as regular files of 0 bytes: their data is stored once, under the target.
//
// Every walk of the tree is iterative (an explicit stack), so a path's depth never reaches the call
// stack; the paths alive at once are capped (limits.ts, a LimitError).
import type { FileEntry, FileStats } from '../model.js';
import { DEFAULT_LIMITS, LimitError, type MeasureLimits } from './limits.js';
import type { TarEntry } from './tar.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

type Kind = TarEntry['type'];

interface Node {
  kind: Kind;
  /** Bytes of a regular file; 0 for anything else (hard links included). */
  size: number;
  /** The layer (0-based) that last wrote this path, or (for a directory) last wrote under it. */
  layer: number;
  /** Present on directories only. */
  children?: Map<string, Node>;
}

/** Incremental: apply each layer's entries in order, then read `result()`. One node per live path. */
export class FileSystemModel {
  private readonly root: Node = { kind: 'dir', size: 0, layer: -1, children: new Map() };
  private layer = -1;
  private wastedTotal = 0;
  /** Wasted bytes per path, every overwritten or deleted version summed. */
  private readonly wastedByPath = new Map<string, number>();
  /** Nodes in the tree, the root left out. */
  private nodes = 0;

  constructor(private readonly limits: MeasureLimits = DEFAULT_LIMITS) {}

  /** Applies one layer's entries, in archive order. */
  applyLayer(entries: Iterable<TarEntry>): this {
    this.layer++;
    for (const entry of entries) this.apply(entry);
    return this;
  }

  /** The final filesystem's regular files (sorted by path), the wasted total and the `top` largest wasted paths. */
  result(top = 20): FileStats {
    const files: Array<[string, number]> = [];
    const layerOf = new Map<string, number>();
    const stack: Array<[Node, string]> = [[this.root, '']];
    for (let top = stack.pop(); top; top = stack.pop()) {
      const [dir, prefix] = top;
      for (const [name, node] of dir.children ?? []) {
        const path = join(prefix, name);
        if (node.kind === 'file' || node.kind === 'hardlink') {
          files.push([path, node.size]);
          layerOf.set(path, node.layer);
        }
        else if (node.children) stack.push([node, path]);
      }
    }
    files.sort((a, b) => compare(a[0], b[0]));
    const wasted: FileEntry[] = [...this.wastedByPath]
      .filter(([, bytes]) => bytes > 0)
      .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]))
      .slice(0, Math.max(0, top))
      .map(([path, bytes]) => ({ path, bytes }));
    return { final: new Map(files), layerOf, wastedBytes: this.wastedTotal, wasted };
  }

  private apply(entry: TarEntry): void {
    if (entry.path === '') return; // the root directory itself
    const slash = entry.path.lastIndexOf('/');
    const dirPath = slash < 0 ? '' : entry.path.slice(0, slash);
    const name = entry.path.slice(slash + 1);
    if (name.startsWith(WHITEOUT)) {
      // A whiteout under a missing directory has nothing to hide: no directory is made for it.
      const dir = this.lookupDir(dirPath);
      if (!dir?.children) return;
      if (name === OPAQUE) {
        for (const [child, node] of [...dir.children]) this.hideLower(dir, child, node, join(dirPath, child));
      } else if (!name.startsWith(WHITEOUT + WHITEOUT)) {
        const target = name.slice(WHITEOUT.length);
        const node = dir.children.get(target);
        if (node) this.hideLower(dir, target, node, join(dirPath, target));
      }
      return;
    }
    // aufs keeps hard-link targets under /.wh..wh.plnk: never part of the filesystem (as Docker skips them).
    if (`/${dirPath}`.includes(`/${WHITEOUT}${WHITEOUT}`)) return;
    const dir = this.makeDirs(dirPath);
    const children = dir.children ?? (dir.children = new Map());
    const existing = children.get(name);
    if (existing?.kind === 'dir' && entry.type === 'dir') {
      existing.layer = this.layer;
      return;
    }
    if (existing) this.remove(existing, entry.path);
    const node: Node = { kind: entry.type, size: entry.type === 'file' ? entry.size : 0, layer: this.layer };
    if (entry.type === 'dir') node.children = new Map();
    this.add();
    children.set(name, node);
  }

  /** Counts a node about to be linked in, within the limit. */
  private add(): void {
    if (++this.nodes > this.limits.maxTreeNodes) {
      throw new LimitError(`the image's file tree has more than ${this.limits.maxTreeNodes} paths (the limit per image)`);
    }
  }

  /** Removes from `parent` what lower layers wrote at `name`, keeping what this layer wrote. */
  private hideLower(parent: Node, name: string, node: Node, path: string): void {
    const stack: Array<[Node, string, Node, string]> = [[parent, name, node, path]];
    for (let top = stack.pop(); top; top = stack.pop()) {
      const [above, at, here, herePath] = top;
      if (here.layer < this.layer) {
        this.remove(here, herePath);
        above.children?.delete(at);
        continue;
      }
      for (const [child, sub] of [...(here.children ?? [])]) stack.push([here, child, sub, join(herePath, child)]);
    }
  }

  /** Counts a node (and everything under it) as wasted and as gone from the tree; the caller unlinks it. */
  private remove(node: Node, path: string): void {
    const stack: Array<[Node, string]> = [[node, path]];
    for (let top = stack.pop(); top; top = stack.pop()) {
      const [here, herePath] = top;
      this.nodes--;
      if (here.kind === 'file') {
        this.wastedTotal += here.size;
        this.wastedByPath.set(herePath, (this.wastedByPath.get(herePath) ?? 0) + here.size);
      }
      for (const [name, child] of here.children ?? []) stack.push([child, join(herePath, name)]);
    }
  }

  private lookupDir(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    if (path === '') return node;
    for (const part of path.split('/')) {
      node = node.children?.get(part);
      if (!node) return undefined;
    }
    return node.kind === 'dir' ? node : undefined;
  }

  /** The directory at `path`, making missing ones (and replacing non-directories) on the way. */
  private makeDirs(path: string): Node {
    let node = this.root;
    if (path === '') return node;
    let at = '';
    for (const part of path.split('/')) {
      at = join(at, part);
      const children = node.children ?? (node.children = new Map());
      let next = children.get(part);
      if (next?.kind !== 'dir') {
        if (next) this.remove(next, at);
        next = { kind: 'dir', size: 0, layer: this.layer, children: new Map() };
        this.add();
        children.set(part, next);
      }
      // This layer needs the directory for its entry: a whiteout of the same layer keeps it.
      next.layer = this.layer;
      node = next;
    }
    return node;
  }
}

/** Applies `layers` (each an entry list, lowest first) to an empty filesystem. */
export function applyLayers(layers: Iterable<Iterable<TarEntry>>, top = 20, limits: MeasureLimits = DEFAULT_LIMITS): FileStats {
  const model = new FileSystemModel(limits);
  for (const entries of layers) model.applyLayer(entries);
  return model.result(top);
}

function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** Code-unit order: stable across locales. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The same file view with every path passed through `mask`: a path can carry a build-arg value
 * (`RUN touch /$TOKEN`), and paths reach the comment, summary and report. Paths that mask to the same
 * text become one, their bytes summed; the orders of {@link FileSystemModel.result} are kept.
 */
export function maskFilePaths(files: FileStats, mask: (path: string) => string): FileStats {
  // The common case, no path masked: the same view, not a copy of every path of the image.
  // (layerOf has the paths of final.)
  const unchanged = (paths: Iterable<string>): boolean => {
    for (const path of paths) if (mask(path) !== path) return false;
    return true;
  };
  if (unchanged(files.final.keys()) && unchanged(files.wasted.map((w) => w.path))) return files;
  const merge = (entries: Iterable<readonly [string, number]>): Array<[string, number]> => {
    const out = new Map<string, number>();
    for (const [path, bytes] of entries) {
      const masked = mask(path);
      out.set(masked, (out.get(masked) ?? 0) + bytes);
    }
    return [...out];
  };
  const final = merge(files.final).sort((a, b) => compare(a[0], b[0]));
  // Paths that mask to one keep the latest layer that wrote any of them.
  const layerOf = files.layerOf ? new Map<string, number>() : undefined;
  for (const [path, layer] of files.layerOf ?? []) {
    const masked = mask(path);
    layerOf?.set(masked, Math.max(layer, layerOf.get(masked) ?? -1));
  }
  const wasted = merge(files.wasted.map(({ path, bytes }) => [path, bytes] as const))
    .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]))
    .map(([path, bytes]) => ({ path, bytes }));
  return { final: new Map(final), ...(layerOf ? { layerOf } : {}), wastedBytes: files.wastedBytes, wasted };
}
