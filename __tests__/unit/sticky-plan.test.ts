import type { IssueComment } from '../../src/github/client.js';
import { GitHubApiError } from '../../src/github/client.js';
import {
  hasMarker,
  isNewerRun,
  isOwnBody,
  isOwnAuthor,
  permissionMessage,
  planSticky,
  readRunStamp,
  runStampLine,
  stickyMarker,
  withMarker,
  type StickyPlan
} from '../../src/github/sticky.js';
import type { CommentMode } from '../../src/model.js';

const KEY = 'image-budget';
const MARKER = '<!-- image-budget:image-budget -->';
const BOT = 'github-actions[bot]';
/** A body as image-budget writes it: the heading first, then `text` (ending with the hidden tail). */
const own = (text: string): string => `### 📦 Image size\n\n${text}`;

let nextId = 100;
function comment(body: string, userLogin = BOT, createdAt?: string): IssueComment {
  const id = nextId++;
  return {
    id,
    body,
    userLogin,
    userType: userLogin.endsWith('[bot]') ? 'Bot' : 'User',
    htmlUrl: `https://github.com/o/r/pull/1#issuecomment-${id}`,
    createdAt: createdAt ?? `2024-01-01T00:${String(id % 60).padStart(2, '0')}:00Z`
  };
}

describe('marker', () => {
  test('is an HTML comment naming the key', () => {
    expect(stickyMarker('release')).toBe('<!-- image-budget:release -->');
  });

  test.each([
    ['marker at the end', `table\n\n${MARKER}`, true],
    ['marker then trailing whitespace and newlines', `table\n${MARKER}  \n\n\t`, true],
    ['marker alone', MARKER, true],
    ['marker followed by text (edited by a human)', `${MARKER}\nthanks!`, false],
    ['another key', 'table\n<!-- image-budget:other -->', false],
    ['a key that merely ends with ours', 'x\n<!-- image-budget:my-image-budget -->', false],
    ['no marker', 'just a comment', false]
  ])('%s', (_name, body, expected) => {
    expect(hasMarker(body, KEY)).toBe(expected);
  });

  test.each([
    ['appends the marker after a blank line', 'table\n', `table\n\n${MARKER}`],
    ['keeps a body that already ends with it', `table\n\n${MARKER}\n`, `table\n\n${MARKER}`],
    ['an empty body is the marker alone', '', MARKER]
  ])('withMarker %s', (_name, body, expected) => {
    expect(withMarker(body, KEY)).toBe(expected);
    expect(hasMarker(withMarker(body, KEY), KEY)).toBe(true);
  });
});

describe('isOwnAuthor', () => {
  test.each<[string, string | undefined, boolean]>([
    ['github-actions[bot]', 'github-actions[bot]', true],
    ['github-actions[bot]', 'github-actions', true],
    ['github-actions', 'github-actions[bot]', true],
    ['GitHub-Actions[bot]', 'github-actions', true],
    ['my-app[bot]', 'my-app', true],
    ['my-app[bot]', 'my-app[bot]', true],
    ['ci-user', 'ci-user', true],
    ['ci-user', 'CI-User', true],
    ['alice', 'github-actions[bot]', false],
    ['github-actions[bot]', 'my-app', false],
    ['my-app', 'my-app[bot]', false],
    ['github-actions[bot]', undefined, true],
    ['github-actions', undefined, false],
    ['alice', undefined, false],
    ['', undefined, false],
    ['', '', false],
    // An empty identity is an unknown one: only the default token's bot counts.
    ['github-actions[bot]', '', true],
    // The Actions bot's GraphQL login is ours only when the identity is the Actions bot.
    ['github-actions', 'my-app', false],
    ['github-actions', 'my-app[bot]', false]
  ])('author %p, identity %p → %p', (login, identity, expected) => {
    expect(isOwnAuthor(login, identity)).toBe(expected);
  });
});

describe('planSticky', () => {
  const body = own(`| a | b |\n\n${MARKER}`);
  const kind = (plan: StickyPlan): string => plan.kind;

  test('mode never skips even with an existing comment', () => {
    expect(planSticky([comment(`old\n${MARKER}`)], BOT, KEY, body, 'never', true, true)).toEqual({
      kind: 'skip',
      reason: 'comment: never'
    });
  });

  describe('no comment of ours yet', () => {
    test.each<[CommentMode, boolean, boolean, string]>([
      ['always', false, false, 'create'],
      ['on-change', true, false, 'create'],
      ['on-change', false, false, 'skip'],
      ['on-change', false, true, 'skip'],
      ['on-regression', true, true, 'create'],
      ['on-regression', false, true, 'create'],
      ['on-regression', true, false, 'skip']
    ])('mode %s, changed %p, regressed %p → %s', (mode, changed, regressed, expected) => {
      expect(kind(planSticky([], BOT, KEY, body, mode, changed, regressed))).toBe(expected);
    });

    test('the created body ends with the marker even if the caller left it out', () => {
      const plan = planSticky([], BOT, KEY, '### Image size\n', 'always', false, false);
      expect(plan).toEqual({ kind: 'create', body: `### Image size\n\n${MARKER}` });
    });
  });

  test('the reason of a skipped comment, word for word', () => {
    expect(planSticky([], BOT, KEY, body, 'on-change', false, true)).toEqual({ kind: 'skip', reason: 'comment: on-change, and no size changed' });
    expect(planSticky([], BOT, KEY, body, 'on-regression', true, false)).toEqual({
      kind: 'skip',
      reason: 'comment: on-regression, and nothing regressed'
    });
  });

  describe('an existing comment of ours is kept up to date in every mode but never', () => {
    test.each<CommentMode>(['always', 'on-change', 'on-regression'])('%s', (mode) => {
      const existing = comment(own(`old table\n\n${MARKER}`));
      expect(planSticky([existing], BOT, KEY, body, mode, false, false)).toEqual({
        kind: 'update',
        body,
        target: existing,
        duplicates: []
      });
    });
  });

  test('identical body (trailing whitespace and CRLF aside) is unchanged: no write (row 51)', () => {
    const existing = comment(`${body.replace(/\n/g, '\r\n')}\n\n`);
    expect(planSticky([existing], BOT, KEY, body, 'always', true, false)).toEqual({
      kind: 'unchanged',
      body,
      target: existing,
      duplicates: []
    });
  });

  test("a human's comment carrying the marker is ignored: a new one is created (row 37)", () => {
    const spoof = comment(`copy of the bot\n${MARKER}`, 'alice');
    expect(planSticky([spoof], BOT, KEY, body, 'always', false, false)).toEqual({ kind: 'create', body });
  });

  test("a human's comment is ignored even when it is the oldest", () => {
    const spoof = comment(`x\n${MARKER}`, 'alice', '2024-01-01T00:00:00Z');
    const ours = comment(own(`old\n\n${MARKER}`), BOT, '2024-01-02T00:00:00Z');
    const plan = planSticky([spoof, ours], 'github-actions', KEY, body, 'always', false, false);
    expect(plan).toEqual({ kind: 'update', body, target: ours, duplicates: [] });
  });

  test('several of ours: the oldest is updated and the others deleted (row 38)', () => {
    const newer = comment(own(`b\n\n${MARKER}`), BOT, '2024-01-03T00:00:00Z');
    const oldest = comment(own(`a\n\n${MARKER}`), BOT, '2024-01-01T00:00:00Z');
    const middle = comment(own(`c\n\n${MARKER}`), BOT, '2024-01-02T00:00:00Z');
    const plan = planSticky([newer, oldest, middle], BOT, KEY, body, 'on-regression', false, false);
    expect(plan).toEqual({ kind: 'update', body, target: oldest, duplicates: [middle.id, newer.id] });
  });

  test('same creation time: the lower id is the oldest', () => {
    const second = comment(own(`b\n\n${MARKER}`), BOT, '2024-01-01T00:00:00Z');
    const first = { ...comment(own(`a\n\n${MARKER}`), BOT, '2024-01-01T00:00:00Z'), id: second.id - 50 };
    const plan = planSticky([second, first], BOT, KEY, body, 'always', false, false);
    expect(plan).toMatchObject({ kind: 'update', target: first, duplicates: [second.id] });
  });

  test('duplicates are removed even when the kept comment is unchanged', () => {
    const kept = comment(body, BOT, '2024-01-01T00:00:00Z');
    const dup = comment(own(`stale\n\n${MARKER}`), BOT, '2024-01-02T00:00:00Z');
    expect(planSticky([dup, kept], BOT, KEY, body, 'always', false, false)).toEqual({
      kind: 'unchanged',
      body,
      target: kept,
      duplicates: [dup.id]
    });
  });

  test("another job's key is not ours", () => {
    const other = comment(own('x\n\n<!-- image-budget:debug -->'));
    expect(kind(planSticky([other], BOT, KEY, body, 'always', false, false))).toBe('create');
    expect(kind(planSticky([other], BOT, 'debug', 'y', 'always', false, false))).toBe('update');
  });

  test('our comment whose marker a human moved off the end is no longer matched (row 43)', () => {
    const edited = comment(`${MARKER}\nEdited by a maintainer`);
    expect(kind(planSticky([edited], BOT, KEY, body, 'always', false, false))).toBe('create');
  });

  test('unknown identity: only github-actions[bot] comments count', () => {
    const byApp = comment(own(`x\n\n${MARKER}`), 'my-app[bot]');
    const byActions = comment(own(`y\n\n${MARKER}`), BOT);
    expect(planSticky([byApp, byActions], undefined, KEY, body, 'always', false, false)).toMatchObject({
      kind: 'update',
      target: byActions,
      duplicates: []
    });
  });

  test('a GitHub App identity matches its [bot] login and not github-actions[bot]', () => {
    const byApp = comment(own(`x\n\n${MARKER}`), 'my-app[bot]');
    const byActions = comment(own(`y\n\n${MARKER}`), BOT);
    expect(planSticky([byActions, byApp], 'my-app', KEY, body, 'always', false, false)).toMatchObject({
      kind: 'update',
      target: byApp,
      duplicates: []
    });
  });
});

describe('a comment is ours only in the shape image-budget writes (issue 16)', () => {
  const STAMP = '<!-- image-budget-run: 100/1 -->';
  const FAR = '<!-- image-budget-run: 9999999999999999/999999 -->';
  // What another workflow (a welcome bot, a title linter) posts as github-actions[bot], quoting the
  // pull request's description, in which a fork planted our marker and a far-future stamp.
  const ECHO = `Thanks for your pull request! You wrote:\n\n> ### 📦 Image size\n\n${FAR}\n${MARKER}`;

  test.each([
    ['as withMarker writes it', withMarker(own('| a |'), KEY), true],
    ['with the run stamp', withMarker(own('| a |'), KEY, { id: 100, attempt: 1 }), true],
    ['CRLF line ends and trailing whitespace', own(`| a |\r\n\r\n${STAMP}\r\n${MARKER}\r\n  `), true],
    ['a title of its own', `### 📦 Services\n\n| a |\n\n${MARKER}`, true],
    ['an echo that quotes a planted marker and stamp', ECHO, false],
    ['text before the heading', `hi\n${own(`| a |\n\n${MARKER}`)}`, false],
    ['no heading', `| a |\n\n${MARKER}`, false],
    ['two markers', own(`${MARKER}\n\n${MARKER}`), false],
    ['a marker and a planted one of another key', own(`<!-- image-budget:other -->\n\n${MARKER}`), false],
    ['a second stamp further up', own(`${FAR}\n\n| a |\n\n${STAMP}\n${MARKER}`), false],
    ['a stamp that is not on the line before the marker', own(`| a |\n\n${FAR}\n\n${MARKER}`), false],
    ['a stamp on the same line as the marker', own(`| a |\n\n${FAR}${MARKER}`), false],
    ['no blank line before the marker', own(`| a |\n${MARKER}`), false],
    ['the marker not last (edited by a human, row 43)', own(`| a |\n\n${MARKER}\nthanks`), false],
    ['another key', own('| a |\n\n<!-- image-budget:other -->'), false],
    ['the heading and the marker alone', `### 📦 Image size\n\n${MARKER}`, true],
    ['the marker alone', MARKER, false]
  ])('isOwnBody: %s → %p', (_name, body, expected) => {
    expect(isOwnBody(body, KEY)).toBe(expected);
  });

  test('every body the sticky comment writes is recognised as its own', () => {
    for (const run of [undefined, { id: 1, attempt: 1 }, { id: 2 ** 40, attempt: 3 }]) {
      for (const text of [own('x'), own(`x\n\n${MARKER}`), own(`x\n\n${STAMP}\n${MARKER}\n`)]) expect(isOwnBody(withMarker(text, KEY, run), KEY)).toBe(true);
    }
  });

  test('a planted far-future stamp in an echoed comment neither blocks nor becomes the target: ours is created', () => {
    const echo = comment(ECHO, BOT, '2024-01-01T00:00:00Z');
    const plan = planSticky([echo], BOT, KEY, own('| a |'), 'always', true, false, { id: 100, attempt: 1 });
    expect(plan).toEqual({ kind: 'create', body: withMarker(own('| a |'), KEY, { id: 100, attempt: 1 }) });
  });

  test('with ours already there, the older echoed comment is neither updated nor deleted as a duplicate', () => {
    const echo = comment(ECHO, BOT, '2024-01-01T00:00:00Z');
    const planted = comment(own(`forged numbers\n\n${FAR}\n${MARKER}`).replace('### 📦', '> ### 📦'), BOT, '2024-01-01T00:00:01Z');
    const ours = comment(own(`| old |\n\n${STAMP}\n${MARKER}`), BOT, '2024-01-02T00:00:00Z');
    const plan = planSticky([echo, planted, ours], BOT, KEY, own('| new |'), 'always', true, false, { id: 101, attempt: 1 });
    expect(plan).toEqual({ kind: 'update', body: withMarker(own('| new |'), KEY, { id: 101, attempt: 1 }), target: ours, duplicates: [] });
  });
});

describe('permissionMessage', () => {
  test('names the failure, shows the exact permissions snippet and mentions forks (rows 34, 35)', () => {
    const message = permissionMessage(
      new GitHubApiError('Create a comment on #1', 403, 'Resource not accessible by integration')
    );
    expect(message).toContain('HTTP 403: Resource not accessible by integration');
    expect(message).toContain('permissions:\n  pull-requests: write');
    expect(message).toMatch(/fork/i);
  });

  test('the whole message, word for word', () => {
    expect(permissionMessage(new GitHubApiError('Create a comment on #1', 403, 'Resource not accessible by integration'))).toBe(
      'The token cannot write pull request comments (Create a comment on #1 failed: HTTP 403: Resource not accessible by integration).\n' +
        'Give the job this permission in the workflow:\n' +
        '\n' +
        'permissions:\n' +
        '  pull-requests: write\n' +
        '\n' +
        'Pull requests from forks always get a read-only token: for them, upload the report as an artifact and comment it with ' +
        'mode: comment from a workflow_run workflow (README, "Forks and matrix jobs").'
    );
  });
});

describe('run stamps (RELIABILITY row 40)', () => {
  const STAMP_100 = '<!-- image-budget-run: 100/1 -->';

  test('the stamp is the line before the marker, and is read back', () => {
    const body = withMarker('text', KEY, { id: 100, attempt: 1 });
    expect(body).toBe(`text\n\n${STAMP_100}\n${MARKER}`);
    expect(readRunStamp(body)).toEqual({ id: 100, attempt: 1 });
    expect(runStampLine({ id: 7, attempt: 12 })).toBe('<!-- image-budget-run: 7/12 -->');
  });

  test('a body that already carries a marker and a stamp gets exactly one of each', () => {
    const again = withMarker(withMarker(`text\n\n${MARKER}`, KEY, { id: 1, attempt: 1 }), KEY, { id: 2, attempt: 3 });
    expect(again).toBe(`text\n\n<!-- image-budget-run: 2/3 -->\n${MARKER}`);
    expect(withMarker(`text\n\n${STAMP_100}\n${MARKER}`, KEY)).toBe(`text\n\n${MARKER}`);
  });

  test('a stamp is stripped from a CRLF body too; one inside running text is not a stamp and stays', () => {
    expect(withMarker(`text\r\n\r\n${STAMP_100}\r\n${MARKER}\r\n`, KEY, { id: 101, attempt: 1 })).toBe(
      `text\n\n<!-- image-budget-run: 101/1 -->\n${MARKER}`
    );
    expect(withMarker(`see ${STAMP_100} here`, KEY)).toBe(`see ${STAMP_100} here\n\n${MARKER}`);
  });

  test('a stamp line inside the body is dropped, and the lines around it stay apart', () => {
    expect(withMarker(`line a\n${STAMP_100}\nline b`, KEY)).toBe(`line a\nline b\n\n${MARKER}`);
  });

  test.each([
    ['no stamp', 'text', undefined],
    ['a stamp in running text is not ours', `see <!-- image-budget-run: 5/1 --> here`, undefined],
    ['CRLF line ends', `text\r\n<!-- image-budget-run: 5/2 -->\r\n${MARKER}`, { id: 5, attempt: 2 }],
    ['an id beyond 16 digits', '<!-- image-budget-run: 12345678901234567/1 -->', undefined]
  ])('readRunStamp: %s', (_name, body, expected) => {
    expect(readRunStamp(body)).toEqual(expected);
  });

  test.each([
    [{ id: 2, attempt: 1 }, { id: 1, attempt: 9 }, true],
    [{ id: 1, attempt: 2 }, { id: 1, attempt: 1 }, true],
    [{ id: 1, attempt: 1 }, { id: 1, attempt: 1 }, false],
    [{ id: 1, attempt: 9 }, { id: 2, attempt: 1 }, false]
  ])('isNewerRun(%j, %j) is %s', (a, b, expected) => {
    expect(isNewerRun(a, b)).toBe(expected);
  });

  test('an older run skips, naming the newer run, and keeps the comment it found', () => {
    const existing = comment(own(`new results\n\n<!-- image-budget-run: 200/1 -->\n${MARKER}`));
    const plan = planSticky([existing], BOT, KEY, 'old results', 'always', true, true, { id: 100, attempt: 5 });
    expect(plan).toEqual({
      kind: 'skip',
      target: existing,
      reason: "a newer run (200, attempt 1) has already updated the comment; this run's older results are not written over it"
    });
  });

  test('the same run, a newer run or an unstamped comment is updated', () => {
    for (const stamp of ['<!-- image-budget-run: 100/1 -->\n', '<!-- image-budget-run: 99/7 -->\n', '']) {
      const existing = comment(own(`before\n\n${stamp}${MARKER}`));
      expect(planSticky([existing], BOT, KEY, 'after', 'always', true, false, { id: 100, attempt: 1 })).toMatchObject({
        kind: 'update',
        body: `after\n\n${STAMP_100}\n${MARKER}`
      });
    }
  });

  test('without a stamp of its own (outside Actions) a run updates whatever it finds', () => {
    const existing = comment(own(`before\n\n<!-- image-budget-run: 200/1 -->\n${MARKER}`));
    expect(planSticky([existing], BOT, KEY, 'after', 'always', true, false)).toMatchObject({ kind: 'update', body: `after\n\n${MARKER}` });
  });

  test('the stamp alone is no change: same results from a newer run are unchanged (row 51)', () => {
    const existing = comment(own(`same\n\n${STAMP_100}\n${MARKER}`));
    expect(planSticky([existing], BOT, KEY, own('same'), 'always', true, false, { id: 101, attempt: 1 }).kind).toBe('unchanged');
  });
});
