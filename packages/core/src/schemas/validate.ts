/** Turns a zod result into the one-line reasons dead letters carry. */
import type { z } from 'zod';

/** Formats zod issues as `path: message` lines, e.g. `val: Invalid input: expected number`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(record)'}: ${issue.message}`);
}
