/** A tiny local NDJSON server for the HTTP source: serves fixed bytes or a file, whole or cut off. */
import { createReadStream } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running server. */
export interface Served {
  /** The endpoint (any path answers the same). */
  url: string;
  close(): Promise<void>;
}

/** What to answer. */
export type Body =
  /** These bytes, written in pieces of `piece` bytes (default: at once). */
  | { bytes: Buffer; piece?: number }
  /** These bytes, then the connection is destroyed without ending the response. */
  | { bytes: Buffer; breakOff: true }
  /** The file at `path`, streamed. */
  | { path: string };

/** Writes `bytes` in pieces, waiting for drain, then ends or breaks off. */
async function writeBytes(res: ServerResponse, bytes: Buffer, piece: number, breakOff: boolean): Promise<void> {
  for (let at = 0; at < bytes.length && !res.destroyed; at += piece) {
    const flushed = new Promise((resolve) => res.write(bytes.subarray(at, at + piece), resolve));
    // Breaking off: the bytes must be on their way before the connection goes.
    if (breakOff) await flushed;
    else if (res.writableNeedDrain) await new Promise((resolve) => res.once('drain', resolve));
  }
  if (breakOff) res.socket?.destroy();
  else res.end();
}

/** Starts a server on 127.0.0.1 answering every request with `body` as `application/x-ndjson`. */
export async function serveNdjson(body: Body): Promise<Served> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if ('path' in body) {
      createReadStream(body.path).pipe(res);
      return;
    }
    const breakOff = 'breakOff' in body;
    void writeBytes(res, body.bytes, ('piece' in body ? body.piece : undefined) ?? body.bytes.length + 1, breakOff);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
