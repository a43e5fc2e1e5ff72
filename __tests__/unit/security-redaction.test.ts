// Security requirement 6: token-like values in image history (`created_by`, LABEL, ENV, ARG) never
// survive redaction, wherever they sit and however they are glued to the text around them; and
// harmless text that merely looks close stays readable.
import fc from 'fast-check';
import { redactInstruction } from '../../src/image/history.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const chars = (alphabet: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));

// Tokens as their issuers shape them.
const token = fc.oneof(
  fc.tuple(fc.constantFrom('ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'), chars(ALNUM, 36, 36)).map(([p, b]) => p + b),
  fc.tuple(chars(ALNUM, 22, 22), chars(ALNUM, 59, 59)).map(([a, b]) => `github_pat_${a}_${b}`),
  fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 16)).map(([p, b]) => p + b),
  chars(`${ALNUM}_-`, 20, 20).map((b) => `glpat-${b}`),
  chars(ALNUM, 24, 40).map((b) => `xoxb-${b}`),
  chars(ALNUM, 36, 36).map((b) => `npm_${b}`),
  chars(ALNUM, 32, 48).map((b) => `sk-${b}`)
);

// Where a token may sit: the instruction kinds history holds, with what comes right before it.
const instruction = fc.constantFrom(
  (t: string) => `RUN /bin/sh -c echo ${t} > /x # buildkit`,
  (t: string) => `RUN |1 A=x /bin/sh -c curl -H "Authorization: token ${t}" https://api.github.com`,
  (t: string) => `RUN /bin/sh -c git clone https://x-access-token:${t}@github.com/o/r`,
  (t: string) => `RUN /bin/sh -c export GH_TOKEN_${t}`,
  (t: string) => `RUN /bin/sh -c echo '{"auth":"${t}"}' > ~/.npmrc`,
  (t: string) => `LABEL org.example.key=${t}`,
  (t: string) => `ENV KEY=${t}`,
  (t: string) => `/bin/sh -c #(nop)  LABEL key="${t}"`,
  (t: string) => `ADD https://example.com/f?key=${t}&x=1 /f # buildkit`,
  (t: string) => `COPY ${t} /x # buildkit`,
  (t: string) => `USER ${t}`,
  (t: string) => `HEALTHCHECK CMD curl -fsS http://localhost/?k=${t}`,
  (t: string) => `RUN /bin/sh -c echo _${t}y`,
  (t: string) => `RUN /bin/sh -c echo 1${t}.`
);

describe('token-like values in history (requirement 6)', () => {
  test('property: a token never survives, nor the random part of it', () => {
    fc.assert(
      fc.property(token, instruction, (t, place) => {
        const out = redactInstruction(place(t), []);
        expect(out).not.toContain(t);
        // Not even a recognisable piece of it (the last 12 characters are random).
        expect(out).not.toContain(t.slice(-12));
      }),
      { numRuns: 2000 }
    );
  });

  // A credential's name and value, written the ways shell scripts, config files and headers write them.
  const key = fc.constantFrom('password', 'PASSWORD', 'db_password', 'MYSQL_ROOT_PASSWORD', 'passwd', 'api_key', 'API-KEY', 'client_secret', 'NPM_TOKEN', 'private-token', 'aws_secret_access_key');
  const value = chars(`${ALNUM}!#%^*()+.~/`, 6, 24).map((v) => `Q${v}`);
  const form = fc.constantFrom(
    (k: string, v: string) => `RUN /bin/sh -c ${k}=${v} ./run`,
    (k: string, v: string) => `RUN /bin/sh -c export ${k}="${v} and more"`,
    (k: string, v: string) => `RUN /bin/sh -c echo '{"${k}": "${v}"}' > /etc/app.json`,
    (k: string, v: string) => `RUN /bin/sh -c printf '${k}: ${v}\\n' > /etc/app.yml`,
    (k: string, v: string) => `RUN /bin/sh -c curl -H "${k}: ${v}" https://x`,
    (k: string, v: string) => `RUN /bin/sh -c mysql --${k.toLowerCase()} ${v} db`,
    (k: string, v: string) => `RUN /bin/sh -c app --${k.toLowerCase()}=${v}`,
    (k: string, v: string) => `LABEL ${k}=${v}`,
    (k: string, v: string) => `ENV ${k} ${v}`
  );

  test('property: the value of a credential-named setting never survives, in any of its forms', () => {
    fc.assert(
      fc.property(key, value, form, (k, v, place) => {
        const out = redactInstruction(place(k, v), []);
        expect(out).not.toContain(v);
        expect(out).toContain('***');
      }),
      { numRuns: 2000 }
    );
  });

  test.each<[string, string, string]>([
    ['a token glued to a name', 'RUN /bin/sh -c echo TOKEN_ghp_A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5abcdef', 'RUN /bin/sh -c echo TOKEN_***'],
    ['a GitHub token glued to a letter', 'RUN /bin/sh -c echo xghp_A1b2C3d4E5A1b2C3d4E5A1b2C3d4E5abcdef', 'RUN /bin/sh -c echo x***'],
    ['an AWS key id glued to a digit', 'RUN /bin/sh -c echo 1AKIAIOSFODNN7EXAMPLQ', 'RUN /bin/sh -c echo 1***'],
    ['a JSON password', `RUN /bin/sh -c echo '{"password":"hunter2"}'`, `RUN /bin/sh -c echo '{"password":***}'`],
    ['a YAML password', 'RUN /bin/sh -c echo "password: hunter2"', 'RUN /bin/sh -c echo "password: ***"'],
    ['a GitLab header', 'RUN /bin/sh -c curl -H "PRIVATE-TOKEN: glpat-abcdefghijklmnopqrst" x', 'RUN /bin/sh -c curl -H "PRIVATE-TOKEN: ***" x'],
    ['--password value', 'RUN /bin/sh -c mysql --password hunter2 db', 'RUN /bin/sh -c mysql --password *** db'],
    // Harmless text that looks close stays readable.
    ['--password-stdin takes no value', 'RUN /bin/sh -c docker login --password-stdin -u me', 'RUN /bin/sh -c docker login --password-stdin -u me'],
    ['an image tag of a tokenizer', 'COPY --from=tokenizer:1.2 /bin/t /t # buildkit', 'COPY --from=tokenizer:1.2 /bin/t /t'],
    ['a package name', 'RUN /bin/sh -c apk add --no-cache py3-tokenizers', 'RUN /bin/sh -c apk add --no-cache py3-tokenizers'],
    ['a word that ends in sk-', 'RUN /bin/sh -c make task-abcdefghijklmnopqrstuvwxyz', 'RUN /bin/sh -c make task-abcdefghijklmnopqrstuvwxyz'],
    ['a short ghp_ word', 'RUN /bin/sh -c echo ghp_short', 'RUN /bin/sh -c echo ghp_short']
  ])('%s', (_name, createdBy, expected) => {
    expect(redactInstruction(createdBy, [])).toBe(expected);
  });
});
