// The stages of a Dockerfile (its FROM instructions), read the way BuildKit reads them: parser
// directives, comments, line continuations with the escape character, and heredocs whose bodies
// are not instructions. Pure, so an unknown target fails before any build, listing the stages.
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';

export interface Stage {
  /** 0-based position among the FROM instructions. */
  readonly index: number;
  /** The `AS` name, lowercased (stage names are case-insensitive); undefined when unnamed. */
  readonly name?: string;
  /** The image or stage it starts from, as written (`$BASE` is not expanded). */
  readonly base: string;
  /** 1-based line of the FROM instruction. */
  readonly line: number;
}

export interface ResolvedTarget {
  /** The row name: the stage name, or `default` for an unnamed last stage. */
  readonly name: string;
  /** What to pass to `--target`; undefined means build without `--target`. */
  readonly stage: string | undefined;
}

// BuildKit's directive syntax; directives are only read before the first other line.
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const COMMENT = /^\s*#/;
const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);

interface Heredoc {
  readonly name: string;
  readonly chomp: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits on unquoted whitespace, keeping quotes and escapes in the words (like BuildKit's raw lexer). */
function rawWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === undefined && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += c;
    if (c === '\\' && quote !== "'" && i + 1 < line.length) {
      word += line.charAt(++i);
    } else if (quote === undefined && (c === '"' || c === "'")) {
      quote = c;
    } else if (c === quote) {
      quote = undefined;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function heredocsOf(line: string): Heredoc[] {
  const docs: Heredoc[] = [];
  for (const word of rawWords(line)) {
    const m = HEREDOC.exec(word);
    if (!m) continue;
    const [, , chomp = '', rest = ''] = m;
    const name = rest.replace(/\\(.)/g, '$1').replace(/["']/g, '');
    if (name !== '') docs.push({ name, chomp: chomp === '-' });
  }
  return docs;
}

/** One instruction of a Dockerfile: continuation lines joined, heredoc bodies left out. */
export interface Instruction {
  /** Lowercased: `from`, `run`, `copy`. */
  readonly keyword: string;
  /** The text after the keyword, continuation lines joined (without the escape character), trimmed. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
  /** The stage it belongs to (0-based FROM position); -1 before the first FROM. */
  readonly stage: number;
}

/** Every instruction of a Dockerfile, in order, read the way BuildKit reads them. */
export function parseInstructions(dockerfileText: string): Instruction[] {
  const lines = dockerfileText.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec((lines[i] ?? '').trimStart());
    if (!m) break;
    const [, key = '', value = ''] = m;
    if (key.toLowerCase() === 'escape' && (value === '`' || value === '\\')) escape = value;
  }
  const continuation = new RegExp(`${escapeRegExp(escape)}[ \\t]*$`);

  const instructions: Instruction[] = [];
  let stage = -1;
  while (i < lines.length) {
    const first = lines[i] ?? '';
    const startLine = i + 1;
    i++;
    if (first.trim() === '' || COMMENT.test(first)) continue;

    // Join continuation lines; comment and blank lines inside a continuation are skipped.
    let logical = first;
    while (continuation.test(logical)) {
      logical = logical.replace(continuation, '');
      let next: string | undefined;
      while (i < lines.length) {
        const candidate = lines[i] ?? '';
        i++;
        if (candidate.trim() === '' || COMMENT.test(candidate)) continue;
        next = candidate;
        break;
      }
      if (next === undefined) break;
      logical += next;
    }

    const trimmed = logical.trim();
    const keyword = (/^\S+/.exec(trimmed)?.[0] ?? '').toLowerCase();
    if (keyword === 'from') stage++;
    instructions.push({ keyword, args: trimmed.slice(keyword.length).trim(), line: startLine, stage });
    if (HEREDOC_INSTRUCTIONS.has(keyword) && logical.includes('<<')) {
      // Heredoc bodies follow the instruction, one after another; they are data, not instructions.
      // An unterminated heredoc runs to the end of the file (BuildKit then reports the error).
      for (const doc of heredocsOf(logical)) {
        while (i < lines.length) {
          let candidate = lines[i] ?? '';
          i++;
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) break;
        }
      }
    }
  }
  return instructions;
}

/** The FROM instructions of a Dockerfile, in order. A Dockerfile without FROM gives []. */
export function parseStages(dockerfileText: string): Stage[] {
  const stages: Stage[] = [];
  for (const from of parseInstructions(dockerfileText)) {
    if (from.keyword !== 'from') continue;
    // FROM [--platform=<p>] <image> [AS <name>]
    const words = from.args.split(/\s+/);
    let k = 0;
    while (words[k]?.startsWith('--')) k++;
    const base = words[k];
    if (base === undefined || base === '') continue;
    const name = words[k + 1]?.toLowerCase() === 'as' ? words[k + 2] : undefined;
    stages.push({ index: stages.length, ...(name !== undefined ? { name: name.toLowerCase() } : {}), base, line: from.line });
  }
  return stages;
}

/**
 * Maps the requested targets to stages. No targets → the last stage. Unknown targets fail
 * before any build, listing the stages of `dockerfileLabel` (the Dockerfile's path for messages).
 */
export function resolveTargets(
  stages: readonly Stage[],
  requested: readonly string[],
  dockerfileLabel: string
): ResolvedTarget[] {
  const last = stages[stages.length - 1];
  if (last === undefined) {
    throw new InputError(INPUT.file, dockerfileLabel, 'a Dockerfile with at least one FROM instruction', {
      problem: 'has no FROM instruction'
    });
  }
  if (requested.length === 0) {
    return [{ name: last.name ?? 'default', stage: last.name }];
  }
  const names = stages.flatMap((s) => (s.name === undefined ? [] : [s.name]));
  const hint =
    names.length === 0 ? `${dockerfileLabel} has no named stages; name one with FROM <image> AS <name>` : `stages: ${names.join(', ')}`;
  return requested.map((target) => {
    const stage = names.find((n) => n === target.toLowerCase());
    if (stage === undefined) {
      throw new InputError(INPUT.targets, target, `one of the stages of ${dockerfileLabel}: ${names.join(', ')}`, {
        problem: `is not a stage of ${dockerfileLabel}`,
        hint
      });
    }
    return { name: stage, stage };
  });
}
