/** Keeps passwords out of errors, logs and status events (pure). */

/** Matches `scheme://user:password@` in any text. */
// The lookbehind starts a match only at the first letter of a scheme: without it a long run of
// letters is rescanned from every position (a 10 KB event took 8 ms).
const CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@\s/]*)@/gi;

/**
 * The URL with its password replaced by `***` (`postgres://me:***@db/x`). Works on text that is
 * not a valid URL too, and on text that holds several URLs (an error message).
 */
export function redact(text: string): string {
  return text.replace(CREDENTIALS, (_, head: string, password: string) => (password === '' ? `${head}@` : `${head}***@`));
}

/** The password of a URL, when it has one; `undefined` for anything unparsable. */
export function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/**
 * Removes `secret` (and its URL-encoded form) from `text`, then any `user:password@` left: for
 * error messages of client libraries that quote the connection string or the password itself.
 */
export function scrub(text: string, secret: string | undefined): string {
  let out = text;
  if (secret) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  return redact(out);
}
