/**
 * A proxy codec that makes a Kafka broker advertise the proxy: in the answers that tell a client
 * where brokers live (Metadata, FindCoordinator) the broker's port becomes the proxy's, so every
 * connection a client opens after bootstrapping also goes through the proxy. Only the 4-byte port
 * field changes, so frame sizes stay as they are; every other frame streams through untouched.
 * Covers the request versions kafkajs 2 speaks (Metadata v0–v6, FindCoordinator v0–v2, none of
 * them "flexible").
 */
import type { ProxyCodec } from './tcp-proxy.js';

const METADATA = 3;
const FIND_COORDINATOR = 10;

interface Request {
  apiKey: number;
  apiVersion: number;
}

/** A codec for one connection: broker `targetPort` is advertised as `proxyPort`. */
export function kafkaAdvertisingCodec(targetPort: number, proxyPort: number): ProxyCodec {
  const requests = new Map<number, Request>();
  const fromClient = new FrameStream(12, (head) => {
    requests.set(head.readInt32BE(8), { apiKey: head.readInt16BE(4), apiVersion: head.readInt16BE(6) });
    return undefined;
  });
  const fromServer = new FrameStream(8, (head) => {
    const correlationId = head.readInt32BE(4);
    const request = requests.get(correlationId);
    requests.delete(correlationId);
    if (request?.apiKey === METADATA) return (frame) => rewriteMetadata(frame, request.apiVersion, targetPort, proxyPort);
    if (request?.apiKey === FIND_COORDINATOR) return (frame) => rewriteCoordinator(frame, request.apiVersion, targetPort, proxyPort);
    return undefined;
  });
  return { toServer: (chunk) => fromClient.push(chunk), toClient: (chunk) => fromServer.push(chunk) };
}

/** Changes a frame in place (it is held whole); returns it. */
type Rewrite = (frame: Buffer) => Buffer;

/**
 * Splits a stream of size-prefixed Kafka frames. For each frame `inspect` sees its first
 * `headBytes` bytes and returns a rewrite to hold the frame whole and rewrite it, or undefined to
 * let it stream through as it comes.
 */
class FrameStream {
  private head: Buffer = Buffer.alloc(0);
  /** Bytes of the current frame still to pass through unchanged. */
  private passing = 0;
  private rewrite: Rewrite | undefined;

  constructor(
    private readonly headBytes: number,
    private readonly inspect: (head: Buffer) => Rewrite | undefined,
  ) {}

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let rest = chunk;
    while (rest.length > 0) {
      if (this.passing > 0) {
        const n = Math.min(this.passing, rest.length);
        out.push(rest.subarray(0, n));
        rest = rest.subarray(n);
        this.passing -= n;
        continue;
      }
      this.head = this.head.length === 0 ? rest : Buffer.concat([this.head, rest]);
      rest = Buffer.alloc(0);
      if (this.head.length < this.headBytes) break;
      const frameBytes = 4 + this.head.readInt32BE(0);
      this.rewrite ??= this.inspect(this.head) ?? passAll;
      if (this.rewrite === passAll) {
        this.passing = frameBytes;
      } else {
        if (this.head.length < frameBytes) break;
        out.push(this.rewrite(Buffer.from(this.head.subarray(0, frameBytes))));
      }
      rest = this.rewrite === passAll ? this.head : this.head.subarray(frameBytes);
      this.head = Buffer.alloc(0);
      this.rewrite = undefined;
    }
    return out;
  }
}

const passAll: Rewrite = (frame) => frame;

/** Metadata response: [throttle v3+] brokers [node_id, host, port, rack v1+]. */
function rewriteMetadata(frame: Buffer, version: number, from: number, to: number): Buffer {
  let at = 8 + (version >= 3 ? 4 : 0);
  const brokers = frame.readInt32BE(at);
  at += 4;
  for (let i = 0; i < brokers; i++) {
    at = skipString(frame, at + 4);
    replacePort(frame, at, from, to);
    at += 4;
    if (version >= 1) at = skipString(frame, at);
  }
  return frame;
}

/** FindCoordinator response: [throttle, error_code, error_message v1+ | error_code v0], node_id, host, port. */
function rewriteCoordinator(frame: Buffer, version: number, from: number, to: number): Buffer {
  const at = version >= 1 ? skipString(frame, 8 + 4 + 2) : 8 + 2;
  const portAt = skipString(frame, at + 4);
  replacePort(frame, portAt, from, to);
  return frame;
}

/** Offset just past a (nullable) int16-prefixed string at `at`. */
function skipString(frame: Buffer, at: number): number {
  return at + 2 + Math.max(0, frame.readInt16BE(at));
}

function replacePort(frame: Buffer, at: number, from: number, to: number): void {
  if (frame.readInt32BE(at) === from) frame.writeInt32BE(to, at);
}
