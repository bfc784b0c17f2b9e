/** Progress and warnings of the runner go to stderr; stdout carries only the markdown report. */
export const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};
