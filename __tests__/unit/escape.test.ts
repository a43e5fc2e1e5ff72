import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  breakReferences,
  cap,
  codeBlock,
  codeSpan,
  escapeCell,
  escapeControls,
  escapeHtml,
  flatten,
  revealInvisible,
  WORD_JOINER as WJ
} from '../../src/report/escape.js';

describe('escapeCell', () => {
  it.each([
    ['plain name', 'release', 'release'],
    ['pipe cannot split the cell', 'a|b', 'a\\|b'],
    ['backslash before a pipe stays a backslash', 'a\\|b', 'a\\\\\\|b'],
    ['emphasis', '*bold* _it_', '\\*bold\\* \\_it\\_'],
    ['link syntax', '[x](http://e.com)', '\\[x\\](http\\://e.com)'],
    ['image syntax', '![x](y)', '\\!\\[x\\](y)'],
    ['backticks', 'a`b', 'a\\`b'],
    ['strikethrough', '~~x~~', '\\~\\~x\\~\\~'],
    ['html becomes text', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['the hidden marker cannot be spoofed', '<!-- image-budget:x -->', '&lt;\\!-- image-budget\\:x --&gt;'],
    ['entities are not decoded', '&#64;octocat &amp;', `&amp;\\#${WJ}64;octocat &amp;amp;`],
    ['math delimiters', '$x$', '&#36;x&#36;'],
    ['mention', '@octocat', `@${WJ}octocat`],
    ['team mention', '@org/team', `@${WJ}org/team`],
    ['email autolink', 'me@example.com', `me@${WJ}example.com`],
    ['issue reference', '#12', `\\#${WJ}12`],
    ['cross-repo reference', 'o/r#12', `o/r\\#${WJ}12`],
    ['GH- reference', 'GH-123 gh-4', `GH-${WJ}123 gh-${WJ}4`],
    ['a lone # or @ is left alone', '# @ x', '\\# @ x'],
    ['url autolink', 'https://evil.example/x', 'https\\://evil.example/x'],
    ['www autolink', 'www.evil.example', 'www\\.evil.example'],
    ['WWW autolink', 'WWW.evil.example', 'WWW\\.evil.example'],
    ['newlines collapse', 'a\nb\r\nc\u2028d', 'a b c d'],
    ['controls collapse', 'a\u0000b\u001b[31mc\u007fd\u0085e', 'a b \\[31mc d e'],
    ['whitespace runs collapse and ends are trimmed', '  a \t  b  ', 'a b'],
    ['bidi overrides are shown as escapes', 'a\u202eb\u2066c', 'a\\\\u202eb\\\\u2066c'],
    ['a leading dash cannot start a list', '- item', '\\- item'],
    ['a leading plus cannot start a list', '+ item', '\\+ item'],
    ['a leading number cannot start a list', '1. item', '1\\. item'],
    ['a leading number with paren', '2) item', '2\\) item'],
    ['a leading = cannot underline', '===', '\\==='],
    ['a leading > is an entity, not a quote', '> quote', '&gt; quote'],
    ['a leading # cannot start a heading', '# h', '\\# h'],
    ['empty', '', ''],
    ['only whitespace', ' \n\t ', ''],
    ['unicode is kept', 'café 📦', 'café 📦']
  ])('%s', (_name, input, expected) => {
    expect(escapeCell(input)).toBe(expected);
  });

  it.each([
    ['under the cap', 'abc', 5, 'abc'],
    ['at the cap', 'abcde', 5, 'abcde'],
    ['over the cap', 'abcdef', 5, 'abcd…'],
    ['surrogate pairs are not split', '📦📦📦', 2, '📦…']
  ])('caps length: %s', (_name, input, max, expected) => {
    expect(escapeCell(input, max)).toBe(expected);
  });

  it('never outputs an unescaped pipe, a newline, a raw < or the start of an HTML comment', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const out = escapeCell(s);
        expect(out).not.toMatch(/(^|[^\\])(\\\\)*\|/);
        expect(out).not.toMatch(/[\n\r<>]/);
        expect(out).not.toContain('<!--');
        expect(Array.from(out).length).toBeLessThanOrEqual(200 * 6);
      })
    );
  });
});

describe('codeSpan', () => {
  it.each([
    ['plain', 'RUN make', {}, '`RUN make`'],
    ['one backtick inside: double fence, padded on both sides', 'echo `date`', {}, '`` echo `date` ``'],
    ['a run of two: triple fence', 'a``b', {}, '```a``b```'],
    ['leading backtick is padded', '`x', {}, '`` `x ``'],
    ['pipe escaped for tables', 'a | b', {}, '`a \\| b`'],
    ['pipe kept outside tables', 'a | b', { table: false }, '`a | b`'],
    ['newlines collapse', 'RUN a \\\n  && b', {}, '`RUN a \\ && b`'],
    ['html is literal in code, but never the comment opener', '<!-- image-budget:x -->', {}, `\`<${WJ}!-- image-budget:x --${WJ}>\``],
    ['mentions are not linked in code and stay readable', '@octocat #12', {}, '`@octocat #12`'],
    ['empty gives nothing', '', {}, ''],
    ['capped', 'abcdef', { max: 4 }, '`abc…`']
  ])('%s', (_name, input, options, expected) => {
    expect(codeSpan(input, options)).toBe(expected);
  });

  it('always uses a fence longer than any backtick run inside', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const out = codeSpan(s);
        if (out === '') return;
        const fence = /^`+/.exec(out)![0];
        const inner = out.slice(fence.length, out.length - fence.length);
        expect(out.endsWith(fence)).toBe(true);
        const runs = inner.match(/`+/g) ?? [];
        for (const run of runs) expect(run.length).not.toBe(fence.length);
        expect(out).not.toMatch(/[\n\r]/);
        expect(out).not.toContain('<!--');
      })
    );
  });
});

describe('codeBlock', () => {
  it.each([
    ['plain lines', 'a\nb', '```text\na\nb\n```'],
    ['CRLF and trailing blanks', '\r\nERROR: x\r\n\r\n', '```text\nERROR: x\n```'],
    ['a fence inside cannot close the block', 'x\n```\ny', '````text\nx\n```\ny\n````'],
    ['tabs become spaces, escapes are removed', 'a\tb\u001b[0m', '```text\na  b [0m\n```'],
    ['the comment opener is broken', '<!-- x -->', `\`\`\`text\n<${WJ}!-- x --${WJ}>\n\`\`\``]
  ])('%s', (_name, input, expected) => {
    expect(codeBlock(input)).toBe(expected);
  });

  it('keeps the last lines of a long log', () => {
    const log = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(codeBlock(log, { maxLines: 3 })).toBe('```text\n… (47 earlier lines omitted)\nline 48\nline 49\nline 50\n```');
  });
});

describe('escapeHtml', () => {
  it.each([
    ['tags', '<b>x</b>', '&lt;b&gt;x&lt;/b&gt;'],
    ['quotes and ampersands', `"a" & 'b'`, '&quot;a&quot; &amp; &#39;b&#39;'],
    ['comment opener', '<!--', '&lt;!--'],
    ['mentions', '@octocat #1', `@${WJ}octocat #${WJ}1`],
    ['newlines', 'a\n\nb', 'a b'],
    ['markdown is left alone (not processed in HTML blocks)', '*x*', '*x*']
  ])('%s', (_name, input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });
});

describe('helpers', () => {
  it('flatten', () => {
    expect(flatten(' a\n\tb ')).toBe('a b');
  });
  it('cap', () => {
    expect(cap('abc', 2)).toBe('a…');
  });
  it('breakReferences leaves non-references alone', () => {
    expect(breakReferences('a@ b# c-1 GHX-1')).toBe('a@ b# c-1 GHX-1');
  });
});

// Found unpinned by mutation testing (docs/mutation.md).
describe('invisible characters are shown, so look-alike names differ (issue 16)', () => {
  // Each of these, inside "release", shows nothing (or reorders), so the name would read "release".
  const INVISIBLE: ReadonlyArray<readonly [string, string]> = [
    ['\u200b', '\\u200b'],
    ['\u200c', '\\u200c'],
    ['\u200d', '\\u200d'],
    ['\u200e', '\\u200e'],
    ['\u200f', '\\u200f'],
    ['\u202a', '\\u202a'],
    ['\u202e', '\\u202e'],
    ['\u2060', '\\u2060'],
    ['\u2064', '\\u2064'],
    ['\u2066', '\\u2066'],
    ['\u2069', '\\u2069'],
    ['\ufeff', '\\ufeff'],
    ['\u00ad', '\\xad'],
    ['\u034f', '\\u034f'],
    ['\u061c', '\\u061c'],
    ['\u180e', '\\u180e'],
    ['\u3164', '\\u3164'],
    ['\ufe0f', '\\ufe0f'],
    ['\u{e0041}', '\\u{e0041}']
  ];

  it.each(INVISIBLE)('%j: revealInvisible writes it as %s', (ch, shown) => {
    expect(revealInvisible(`rel${ch}ease`)).toBe(`rel${shown}ease`);
    expect(escapeControls(`rel${ch}ease`)).toBe(`rel${shown}ease`);
    expect(codeSpan(`rel${ch}ease`)).toBe(`\`rel${shown}ease\``);
    expect(escapeCell(`rel${ch}ease`)).toBe(`rel\\${shown.replace(/[{}]/g, '\\$&')}ease`);
    expect(escapeHtml(`rel${ch}ease`)).toBe(`rel${shown}ease`);
    expect(codeBlock(`rel${ch}ease`)).toBe(`\`\`\`text\nrel${shown}ease\n\`\`\``);
  });

  it('property: two different names never print alike once what shows nothing is taken away', () => {
    const unit = fc.constantFrom('r', 'e', 'l', ' ', ...INVISIBLE.map(([ch]) => ch));
    const name = fc.array(unit, { maxLength: 8 }).map((a) => a.join(''));
    const shown = (s: string): string => s.replace(/[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu, '');
    fc.assert(
      fc.property(name, name, (a, b) => {
        fc.pre(a.trim() !== b.trim() && !/\s{2}/.test(a + b));
        for (const f of [codeSpan, escapeCell, escapeControls, escapeHtml]) expect(shown(f(a))).not.toBe(shown(f(b)));
      })
    );
  });

  it('our own word joiners, after @ and #, stay invisible; one in the input is shown', () => {
    expect(escapeCell(`@a\u2060#1`)).toBe(`@${WJ}a\\\\u2060\\#${WJ}1`);
  });
});

describe('edges', () => {
  it('cap keeps text of exactly max code points, surrogate pairs counted as one', () => {
    expect(cap('abc', 3)).toBe('abc');
    expect(cap('😀😀', 2)).toBe('😀😀');
    expect(cap('😀😀😀', 2)).toBe('😀…');
  });

  it('escapeCell escapes a multi-digit ordered-list marker, and the dot of www only', () => {
    expect(escapeCell('12. item')).toBe('12\\. item');
    expect(escapeCell('123456789) item')).toBe('123456789\\) item');
    expect(escapeCell('see www.example.com')).toBe('see www\\.example.com');
    expect(escapeCell('wwwx a.b')).toBe('wwwx a.b');
  });

  it('codeBlock: a lone CR and CRLF end lines, tabs become two spaces', () => {
    expect(codeBlock('a\rb\r\nc')).toBe('```text\na\nb\nc\n```');
    expect(codeBlock('\tx')).toBe('```text\n  x\n```');
  });

  it('codeBlock adds the omitted-lines note only past maxLines', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    expect(codeBlock(lines.join('\n'))).toBe(`\`\`\`text\n${lines.join('\n')}\n\`\`\``);
    expect(codeBlock([...lines, 'line 31'].join('\n'))).toBe(`\`\`\`text\n… (1 earlier lines omitted)\n${[...lines.slice(1), 'line 31'].join('\n')}\n\`\`\``);
  });

  it('escapeControls writes characters above 0xff with four hex digits', () => {
    expect(escapeControls('a\u061cb')).toBe('a\\u061cb');
    expect(escapeControls('\u202e')).toBe('\\u202e');
    expect(escapeControls('\u001b[31m')).toBe('\\x1b[31m');
  });
});
