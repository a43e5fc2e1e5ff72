// The one place that spells the action's output names (as in action.yml).
export const OUTPUT = {
  report: 'report',
  regressed: 'regressed',
  summary: 'summary',
  commentId: 'comment-id',
  commentUrl: 'comment-url'
} as const;
