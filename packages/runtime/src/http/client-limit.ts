/**
 * A cap on the clients of a long-lived route (a stream, an upload): past `max` at once the answer
 * is 503 with `Retry-After`, and a slot is freed when its response closes, however it ends.
 */
import type { ServerResponse } from 'node:http';

/** Clients admitted now and the cap. */
export interface ClientLimit {
  /** Admits the response's client, or answers it 503 and returns false. */
  admit(response: ServerResponse): boolean;
  readonly active: number;
  readonly max: number;
}

/** A cap of `max` clients at once (`what` names the route in the 503 answer). */
export function createClientLimit(max: number, what = 'this route'): ClientLimit {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`createClientLimit: max must be a whole number ≥ 1, got ${max}`);
  let active = 0;
  return {
    admit(response) {
      if (active >= max) {
        response
          .writeHead(503, { 'retry-after': '5', 'content-type': 'application/json; charset=utf-8', connection: 'close' })
          .end(JSON.stringify({ error: `too many clients of ${what} (at most ${max} at once): try again later` }));
        return false;
      }
      active++;
      response.once('close', () => active--);
      return true;
    },
    get active() {
      return active;
    },
    max,
  };
}
