// The names of the values the main step keeps for the post step (core.saveState / getState). Plain
// data, so that the pipeline can name them without loading @actions/core into the command line.
export const STATE = { isPost: 'isPost', tmpDir: 'tmpDir', cleaned: 'cleaned' } as const;
