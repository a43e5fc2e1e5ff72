// The frontend a Dockerfile names, read by BuildKit's rules (frontend/dockerfile/parser/directives.go):
// leading parser directives only, any case, optional spaces, `#`, then `//`, then a JSON object.
import { describe, expect, test } from '@jest/globals';
import { syntaxDirective } from '../../src/dockerfile/directives.js';

const frontendOf = (text: string): string | undefined => syntaxDirective(text)?.frontend;

describe('syntaxDirective', () => {
  test.each<[string, string, string | undefined]>([
    ['the usual form', '# syntax=docker/dockerfile:1\nFROM scratch\n', 'docker/dockerfile:1'],
    ['no space after #', '#syntax=a/b\nFROM scratch\n', 'a/b'],
    ['spaces and tabs around =', '#  \tsyntax \t=\t a/b  \nFROM scratch\n', 'a/b'],
    ['any case', '# SyNtAx=a/b\n', 'a/b'],
    ['after other directives', '# escape=`\n# check=skip=all\n# syntax=a/b\nFROM scratch\n', 'a/b'],
    ['the first word only: the rest is passed to the frontend', '# syntax=a/b:1 --opt=x\n', 'a/b:1'],
    ['CRLF line ends', '# syntax=a/b\r\nFROM scratch\r\n', 'a/b'],
    ['after a byte order mark', '\ufeff# syntax=a/b\n', 'a/b'],
    ['after a shebang line', '#!/usr/bin/env buildctl\n# syntax=a/b\n', 'a/b'],
    ['a Unicode space after # (newer BuildKit)', '#\u00a0syntax=a/b\n', 'a/b'],
    ['// comments', '// syntax=a/b\nFROM scratch\n', 'a/b'],
    ['a JSON object', '{"syntax": "a/b:1 x"}', 'a/b:1 x'],
    ['a duplicate keeps the first', '# syntax=a/b\n# syntax=c/d\n', 'a/b'],
    // Not directives.
    ['none at all', 'FROM scratch\n', undefined],
    ['after an instruction', 'FROM scratch\n# syntax=a/b\n', undefined],
    ['after an empty line', '\n# syntax=a/b\n', undefined],
    ['after an ordinary comment', '# build me\n# syntax=a/b\n', undefined],
    ['after an unknown key=value comment', '# foo=bar\n# syntax=a/b\n', undefined],
    ['indented', '  # syntax=a/b\n', undefined],
    ['no value', '# syntax=\n', undefined],
    ['a key that is not a name', '# 1syntax=a/b\n', undefined],
    ['a repeated escape before it ends the directives', '# escape=\\\n# escape=`\n# syntax=a/b\n', undefined],
    ['a shebang that is not on the first line', '# escape=`\n#!/bin/x\n# syntax=a/b\n', undefined],
    ['JSON without a string syntax', '{"syntax": 1}', undefined],
    ['a JSON array', '[{"syntax": "a/b"}]', undefined]
  ])('%s', (_name, text, frontend) => {
    expect(frontendOf(text)).toBe(frontend);
  });

  test('says where: the line as written and its number', () => {
    expect(syntaxDirective('#!/x\n# escape=`\n#  syntax = a/b  \nFROM scratch\n')).toEqual({ frontend: 'a/b', text: '#  syntax = a/b', line: 3 });
    expect(syntaxDirective('{"syntax":"a/b"}')).toEqual({ frontend: 'a/b', text: '"syntax": "a/b"', line: 1 });
  });
});
