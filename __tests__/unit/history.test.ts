// Instructions per layer and their redaction: table-driven, plus the recorded busybox-args history and
// properties over generated secrets.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MAX_INSTRUCTION_LENGTH,
  UNKNOWN_INSTRUCTION,
  historyLayerCount,
  layerInstructions,
  redactInstruction
} from '../../src/image/history.js';
import { parseConfig, parseIndex, parseManifest, type HistoryEntry } from '../../src/image/oci.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/oci/', import.meta.url));

function recordedConfig(fixture: string): { history: readonly HistoryEntry[]; layers: number } {
  const read = (digest: string): string => readFileSync(join(FIXTURES, fixture, 'blobs', 'sha256', digest.slice(7)), 'utf8');
  const [d] = parseIndex(readFileSync(join(FIXTURES, fixture, 'index.json'), 'utf8'), 'index.json').manifests;
  const manifest = parseManifest(read(d?.digest ?? ''), 'manifest');
  const config = parseConfig(read(manifest.config.digest), 'config');
  return { history: config.history, layers: manifest.layers.length };
}

describe('redactInstruction', () => {
  const ghp = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
  const pat = `github_pat_11ABCDEFG0123456789_${'x'.repeat(40)}`;

  it.each<[string, string, readonly string[], string]>([
    // BuildKit RUN with build args: `|N` then N pairs, then the command.
    ['RUN |N: the brief\'s example', 'RUN |2 SECRET=xyz OTHER=a b /bin/sh -c make', [], 'RUN |2 SECRET=*** OTHER=*** /bin/sh -c make'],
    ['RUN |N: known secret with a space', 'RUN |2 TOKEN=s3cr3t value OTHER=plain /bin/sh -c echo "$TOKEN" # buildkit', ['s3cr3t value'], 'RUN |2 TOKEN=*** OTHER=*** /bin/sh -c echo "$TOKEN"'],
    ['RUN |N: unknown value with a space before the shell', 'RUN |1 FLAGS=-O2 -g /bin/sh -c make', [], 'RUN |1 FLAGS=*** /bin/sh -c make'],
    ['RUN |N: known secret, exec form', 'RUN |1 A=hello world /app/run --flag', ['hello world'], 'RUN |1 A=*** /app/run --flag'],
    ['RUN |N: unknown spaced value, exec form, ends at the next space (documented limit)', 'RUN |1 A=hello world /app/run', [], 'RUN |1 A=*** world /app/run'],
    ['RUN |N: an empty value', 'RUN |1 TOKEN= /bin/sh -c make', [], 'RUN |1 TOKEN=*** /bin/sh -c make'],
    ['RUN |N: a custom SHELL', 'RUN |1 A=x y /bin/bash -o pipefail -c make # buildkit', [], 'RUN |1 A=*** /bin/bash -o pipefail -c make'],
    ['RUN |N: a Windows shell', 'RUN |1 A=b cmd /S /C echo hi', [], 'RUN |1 A=*** cmd /S /C echo hi'],
    ['RUN |N: a value holding =', 'RUN |2 A=x=y B=z /bin/sh -c make', [], 'RUN |2 A=*** B=*** /bin/sh -c make'],
    ['RUN |N: the command keeps its own K=v', 'RUN |1 A=x /bin/sh -c FOO=bar make', [], 'RUN |1 A=*** /bin/sh -c FOO=bar make'],
    ['RUN |N: fewer pairs than announced hides the rest', 'RUN |3 A=1 /bin/sh -c make', [], 'RUN |3 A=*** ***'],
    ['RUN |N: no command', 'RUN |1 A=1', [], 'RUN |1 A=***'],
    ['RUN |N: no pair where one was announced, a K=v later in the command stays hidden', 'RUN |1 /bin/sh -c HOST=db1 make', [], 'RUN |1 ***'],
    ['RUN |N: a count that is not a number hides everything after RUN', 'RUN |x A=1 /bin/sh -c echo |2 B=2 C=3', [], 'RUN ***'],
    ['RUN without args is left alone', 'RUN /bin/sh -c make install # buildkit', [], 'RUN /bin/sh -c make install'],
    ['RUN with a heredoc becomes one line', 'RUN /bin/sh -c <<EOF\necho one\n\techo two\nEOF # buildkit', [], 'RUN /bin/sh -c <<EOF echo one echo two EOF'],
    // ARG, ENV, LABEL: every value.
    ['ARG with a default', 'ARG NAME=value', [], 'ARG NAME=***'],
    ['ARG without a default', 'ARG TOKEN', [], 'ARG TOKEN'],
    ['ARG without a default, several names (names, not values)', 'ARG A B', [], 'ARG A B'],
    ['ARG mixed', 'ARG A B=2', [], 'ARG A B=***'],
    ['ENV pairs', 'ENV K=v K2=v2', [], 'ENV K=*** K2=***'],
    ['ENV value with a space (quotes are gone in history)', 'ENV APP_HOME=/app MODE=prod mode', [], 'ENV APP_HOME=*** MODE=***'],
    ['ENV legacy form', 'ENV K v w', [], 'ENV K ***'],
    ['ENV with a name alone', 'ENV K', [], 'ENV K'],
    ['ENV after leading blanks and a line break', ' \n  ENV DB_HOST=db1.internal', [], 'ENV DB_HOST=***'],
    ['LABEL values', 'LABEL org.example.owner=team a version=1.2', [], 'LABEL org.example.owner=*** version=***'],
    ['ONBUILD ENV', 'ONBUILD ENV A=b', [], 'ONBUILD ENV A=***'],
    // The classic builder.
    ['classic ENV', '/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin', [], 'ENV PATH=***'],
    ['classic ADD', '/bin/sh -c #(nop) ADD file:0b1d3d4e5f in / ', [], 'ADD file:0b1d3d4e5f in /'],
    ['classic CMD', '/bin/sh -c #(nop)  CMD ["sh"]', [], 'CMD ["sh"]'],
    ['classic RUN', '/bin/sh -c apt-get update', [], 'RUN /bin/sh -c apt-get update'],
    ['classic RUN with args', '|1 A=b /bin/sh -c make', [], 'RUN |1 A=*** /bin/sh -c make'],
    ['classic RUN with 10 args', '|10 A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 J=db1 /bin/sh -c make', [], 'RUN |10 A=*** B=*** C=*** D=*** E=*** F=*** G=*** H=*** I=*** J=*** /bin/sh -c make'],
    ['classic Windows metadata', 'cmd /S /C #(nop)  LABEL a=b', [], 'LABEL a=***'],
    // Plain instructions.
    ['the buildkit suffix', 'COPY hello.txt /hello.txt # buildkit', [], 'COPY hello.txt /hello.txt'],
    ['`# buildkit` inside the command is not the suffix', 'RUN /bin/sh -c echo # buildkit here', [], 'RUN /bin/sh -c echo # buildkit here'],
    ['WORKDIR', 'WORKDIR /app', [], 'WORKDIR /app'],
    ['CMD exec form', 'CMD ["sh"]', [], 'CMD ["sh"]'],
    // Known secrets anywhere.
    ['a known secret anywhere', 'COPY --chown=abc123 . /x', ['abc123'], 'COPY --chown=*** . /x'],
    ['a known secret in a command', 'RUN /bin/sh -c curl -u abc123 https://x', ['abc123'], 'RUN /bin/sh -c curl -u *** https://x'],
    ['secrets shorter than 3 characters are not replaced', 'COPY ab /ab', ['ab'], 'COPY ab /ab'],
    ['the longest secret first', 'RUN /bin/sh -c x abcdef y', ['abc', 'abcdef'], 'RUN /bin/sh -c x *** y'],
    ['a secret with a line break', 'RUN |1 S=line1\nline2 /bin/sh -c x', ['line1\nline2'], 'RUN |1 S=*** /bin/sh -c x'],
    // Token-like strings.
    ['a GitHub token', `RUN /bin/sh -c echo ${ghp}`, [], 'RUN /bin/sh -c echo ***'],
    ['a fine-grained GitHub token', `RUN /bin/sh -c git clone https://${pat}@github.com/o/r`, [], 'RUN /bin/sh -c git clone https://***@github.com/o/r'],
    ['gho_ and ghs_ tokens', `RUN /bin/sh -c a gho_${'x'.repeat(36)} b ghs_${'y'.repeat(36)}`, [], 'RUN /bin/sh -c a *** b ***'],
    ['an AWS key id', 'RUN /bin/sh -c aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE', [], 'RUN /bin/sh -c aws configure set aws_access_key_id ***'],
    ['password=', 'RUN /bin/sh -c mysql --password=hunter2 db', [], 'RUN /bin/sh -c mysql --password=*** db'],
    ['a quoted DB_PASSWORD=', 'RUN /bin/sh -c DB_PASSWORD="a b" run', [], 'RUN /bin/sh -c DB_PASSWORD=*** run'],
    ['token= in a URL query', 'ADD https://example.com/f?token=abc&x=1 /f # buildkit', [], 'ADD https://example.com/f?token=***&x=1 /f'],
    ['client_secret=', "RUN /bin/sh -c login client_secret='q w'", [], 'RUN /bin/sh -c login client_secret=***'],
    ['URL credentials', 'ADD https://user:tok@example.com/f /f # buildkit', [], 'ADD https://***@example.com/f /f'],
    ['a Bearer value', 'RUN /bin/sh -c curl -H "Authorization: Bearer abcdefghijkl" x', [], 'RUN /bin/sh -c curl -H "Authorization: Bearer ***" x'],
    ['a secret mount is not a secret', 'RUN --mount=type=secret,id=npmrc /bin/sh -c npm ci', [], 'RUN --mount=type=secret,id=npmrc /bin/sh -c npm ci'],
    // Characters.
    ['control and bidi characters', 'RUN /bin/sh -c echo a\u0007b\u001b[31m c\u202e\u200b', [], 'RUN /bin/sh -c echo ab[31m c'],
    ['runs of spaces', 'COPY   a    b', [], 'COPY a b'],
    ['a lone surrogate becomes U+FFFD', 'COPY a\ud800b \udc00c', [], 'COPY a\ufffdb \ufffdc'],
    ['nothing left', ' # buildkit', [], '']
  ])('%s', (_name, createdBy, secrets, expected) => {
    expect(redactInstruction(createdBy, secrets)).toBe(expected);
  });

  it('caps at 300 code points, ending with …', () => {
    const out = redactInstruction(`RUN /bin/sh -c echo ${'x'.repeat(1000)}`, []);
    expect(Array.from(out)).toHaveLength(MAX_INSTRUCTION_LENGTH);
    expect(out.endsWith('x…')).toBe(true);
    expect(redactInstruction('x'.repeat(300), [])).toBe('x'.repeat(300));
  });

  it('never cuts a character in half', () => {
    const out = redactInstruction(`COPY ${'😀'.repeat(400)}`, []);
    expect(Array.from(out)).toHaveLength(MAX_INSTRUCTION_LENGTH);
    expect(out).toBe(`COPY ${'😀'.repeat(MAX_INSTRUCTION_LENGTH - 6)}…`);
  });

  it('stays fast on a huge created_by (a 4 MiB config) and still redacts its start', () => {
    const started = Date.now();
    const out = redactInstruction(`RUN |1 T=s3cret /bin/sh -c echo s3cret ${'a'.repeat(4_000_000)} password`, ['s3cret']);
    expect(out.startsWith('RUN |1 T=*** /bin/sh -c echo *** aaa')).toBe(true);
    expect(Array.from(out)).toHaveLength(MAX_INSTRUCTION_LENGTH);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  // Secrets: printable, no spaces, not made of redaction characters; text: anything.
  const secret = fc.stringMatching(/^[A-Za-z0-9_.:\/+-]{3,40}$/);
  const text = fc.string({ maxLength: 120, unit: 'binary' });

  it('property: a known secret never survives, wherever it sits', () => {
    fc.assert(
      fc.property(secret, text, text, fc.constantFrom('RUN |1 A=', 'ENV A=', 'LABEL a=', 'COPY ', '', '/bin/sh -c '), (s, before, after, prefix) => {
        const out = redactInstruction(`${prefix}${before}${s}${after}`, [s]);
        expect(out.includes(s)).toBe(false);
      }),
      { numRuns: 500 }
    );
  });

  it('property: output is capped and free of control characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 800, unit: 'binary' }), fc.array(secret, { maxLength: 3 }), (createdBy, secrets) => {
        const out = redactInstruction(createdBy, secrets);
        expect(Array.from(out).length).toBeLessThanOrEqual(MAX_INSTRUCTION_LENGTH);
        expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      }),
      { numRuns: 500 }
    );
  });
});

describe('layerInstructions', () => {
  const run = (createdBy: string): HistoryEntry => ({ createdBy, emptyLayer: false });
  const meta = (createdBy: string): HistoryEntry => ({ createdBy, emptyLayer: true });

  it('recorded busybox-args: one redacted instruction per layer, metadata entries skipped', () => {
    const { history, layers } = recordedConfig('busybox-args');
    const expected = [
      'Imported from -',
      'RUN |2 TOKEN=*** OTHER=*** /bin/sh -c mkdir -p /app && echo "$TOKEN" > /app/t && dd if=/dev/zero of=/app/zero bs=1024 count=64 2>/dev/null',
      'WORKDIR /app',
      'RUN |2 TOKEN=*** OTHER=*** /bin/sh -c echo $OTHER > other.txt'
    ];
    expect(layers).toBe(4);
    expect(historyLayerCount(history)).toBe(4);
    expect(layerInstructions(history, layers, ['s3cr3t value', 'plain'])).toEqual(expected);
    // Without the known values, the structure alone still hides them.
    expect(layerInstructions(history, layers, [])).toEqual(expected);
    expect(JSON.stringify(layerInstructions(history, layers, []))).not.toMatch(/s3cr3t|plain/);
  });

  it('recorded label-only: no layers, no instructions', () => {
    const { history, layers } = recordedConfig('label-only');
    expect(layers).toBe(0);
    expect(historyLayerCount(history)).toBe(0);
    expect(layerInstructions(history, layers, [])).toEqual([]);
  });

  it.each<[string, readonly HistoryEntry[], number, string[]]>([
    ['counts agree', [run('COPY a /a'), meta('ENV A=1'), run('RUN /bin/sh -c b')], 2, ['COPY a /a', 'RUN /bin/sh -c b']],
    ['fewer entries than layers: the last layers get ?', [run('COPY a /a')], 3, ['COPY a /a', UNKNOWN_INSTRUCTION, UNKNOWN_INSTRUCTION]],
    ['no history at all', [], 2, [UNKNOWN_INSTRUCTION, UNKNOWN_INSTRUCTION]],
    ['more entries than layers: the surplus is ignored', [run('COPY a /a'), run('COPY b /b'), run('COPY c /c')], 2, ['COPY a /a', 'COPY b /b']],
    ['an entry with only a comment', [{ emptyLayer: false, comment: 'Imported from -' }], 1, ['Imported from -']],
    ['an entry with neither', [{ emptyLayer: false }], 1, [UNKNOWN_INSTRUCTION]],
    ['a blank created_by falls back to the comment', [{ createdBy: '  ', emptyLayer: false, comment: 'c' }], 1, ['c']],
    ['an instruction that redacts to nothing', [run(' # buildkit')], 1, [UNKNOWN_INSTRUCTION]],
    ['zero layers', [run('COPY a /a')], 0, []]
  ])('%s', (_name, history, layerCount, expected) => {
    expect(layerInstructions(history, layerCount, [])).toEqual(expected);
  });

  it('historyLayerCount counts the entries that made a layer', () => {
    expect(historyLayerCount([run('a'), meta('b'), run('c'), { emptyLayer: false }])).toBe(3);
  });
});
