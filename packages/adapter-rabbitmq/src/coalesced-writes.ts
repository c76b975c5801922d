/**
 * amqplib writes every frame of every channel to the socket with its own `socket.write`: on loopback
 * or a fast link each one is a system call of its own (about 5 µs), which was a fifth of a producer's
 * CPU at 1,000-message batches. Its multiplexer drains the channels' buffers in one synchronous pass;
 * corking the socket around that pass sends what the pass wrote with one `writev` instead.
 *
 * This reaches into amqplib's internals (`connection.muxer`, `_readIncoming`, `out`), pinned by the
 * package's version range; when they are not what is expected, nothing is changed and amqplib writes
 * as it always does (tested: `coalesced-writes.test.ts`).
 */
import type { ChannelModel } from 'amqplib';

/** The parts of amqplib's `Mux` used here. */
interface Muxer {
  out?: { cork?: () => void; uncork?: () => void };
  _readIncoming?: () => void;
}

/**
 * Makes the connection's multiplexer cork the socket while it drains the channels' buffers.
 * Returns whether it could (false: amqplib's internals changed; writes stay as they were).
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const muxer = (model as unknown as { connection?: { muxer?: Muxer } }).connection?.muxer;
  const out = muxer?.out;
  const drain = muxer?._readIncoming;
  if (!muxer || typeof drain !== 'function' || typeof out?.cork !== 'function' || typeof out.uncork !== 'function') return false;
  const cork = out.cork.bind(out);
  const uncork = out.uncork.bind(out);
  muxer._readIncoming = function readIncomingCorked(this: Muxer) {
    cork();
    try {
      drain.call(this);
    } finally {
      uncork();
    }
  };
  return true;
}
