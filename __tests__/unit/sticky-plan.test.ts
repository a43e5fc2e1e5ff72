import type { IssueComment } from '../../src/github/client.js';
import { GitHubApiError } from '../../src/github/client.js';
import {
  hasMarker,
  isOwnAuthor,
  permissionMessage,
  planSticky,
  stickyMarker,
  withMarker,
  type StickyPlan
} from '../../src/github/sticky.js';
import type { CommentMode } from '../../src/model.js';

const KEY = 'image-budget';
const MARKER = '<!-- image-budget:image-budget -->';
const BOT = 'github-actions[bot]';

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
    ['', '', false]
  ])('author %p, identity %p → %p', (login, identity, expected) => {
    expect(isOwnAuthor(login, identity)).toBe(expected);
  });
});

describe('planSticky', () => {
  const body = `### Image size\n\n| a | b |\n\n${MARKER}`;
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

  describe('an existing comment of ours is kept up to date in every mode but never', () => {
    test.each<CommentMode>(['always', 'on-change', 'on-regression'])('%s', (mode) => {
      const existing = comment(`old table\n\n${MARKER}`);
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
    const ours = comment(`old\n${MARKER}`, BOT, '2024-01-02T00:00:00Z');
    const plan = planSticky([spoof, ours], 'github-actions', KEY, body, 'always', false, false);
    expect(plan).toEqual({ kind: 'update', body, target: ours, duplicates: [] });
  });

  test('several of ours: the oldest is updated and the others deleted (row 38)', () => {
    const newer = comment(`b\n${MARKER}`, BOT, '2024-01-03T00:00:00Z');
    const oldest = comment(`a\n${MARKER}`, BOT, '2024-01-01T00:00:00Z');
    const middle = comment(`c\n${MARKER}`, BOT, '2024-01-02T00:00:00Z');
    const plan = planSticky([newer, oldest, middle], BOT, KEY, body, 'on-regression', false, false);
    expect(plan).toEqual({ kind: 'update', body, target: oldest, duplicates: [middle.id, newer.id] });
  });

  test('same creation time: the lower id is the oldest', () => {
    const second = comment(`b\n${MARKER}`, BOT, '2024-01-01T00:00:00Z');
    const first = { ...comment(`a\n${MARKER}`, BOT, '2024-01-01T00:00:00Z'), id: second.id - 50 };
    const plan = planSticky([second, first], BOT, KEY, body, 'always', false, false);
    expect(plan).toMatchObject({ kind: 'update', target: first, duplicates: [second.id] });
  });

  test('duplicates are removed even when the kept comment is unchanged', () => {
    const kept = comment(body, BOT, '2024-01-01T00:00:00Z');
    const dup = comment(`stale\n${MARKER}`, BOT, '2024-01-02T00:00:00Z');
    expect(planSticky([dup, kept], BOT, KEY, body, 'always', false, false)).toEqual({
      kind: 'unchanged',
      body,
      target: kept,
      duplicates: [dup.id]
    });
  });

  test("another job's key is not ours", () => {
    const other = comment('x\n<!-- image-budget:debug -->');
    expect(kind(planSticky([other], BOT, KEY, body, 'always', false, false))).toBe('create');
    expect(kind(planSticky([other], BOT, 'debug', 'y', 'always', false, false))).toBe('update');
  });

  test('our comment whose marker a human moved off the end is no longer matched (row 43)', () => {
    const edited = comment(`${MARKER}\nEdited by a maintainer`);
    expect(kind(planSticky([edited], BOT, KEY, body, 'always', false, false))).toBe('create');
  });

  test('unknown identity: only github-actions[bot] comments count', () => {
    const byApp = comment(`x\n${MARKER}`, 'my-app[bot]');
    const byActions = comment(`y\n${MARKER}`, BOT);
    expect(planSticky([byApp, byActions], undefined, KEY, body, 'always', false, false)).toMatchObject({
      kind: 'update',
      target: byActions,
      duplicates: []
    });
  });

  test('a GitHub App identity matches its [bot] login and not github-actions[bot]', () => {
    const byApp = comment(`x\n${MARKER}`, 'my-app[bot]');
    const byActions = comment(`y\n${MARKER}`, BOT);
    expect(planSticky([byActions, byApp], 'my-app', KEY, body, 'always', false, false)).toMatchObject({
      kind: 'update',
      target: byApp,
      duplicates: []
    });
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
});
