/**
 * Turning an NDJSON response body, as it arrives in network chunks, into records: skips a leading
 * byte order mark, holds the bytes of a line cut by chunk boundaries as a list (joined once its
 * newline arrives, so a long line is copied once, not once per chunk), and bounds a line's length.
 */
import { NdjsonParser } from '../sources/ndjson-source.js';
import type { SourceRecord } from '../types.js';

const LF = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Splits a body into NDJSON records; see the module comment. */
export class BodyLines<T> {
  private readonly parser: NdjsonParser<T>;
  /** Bytes received and not yet consumed by the parser, oldest first; only the last may hold a newline. */
  private pieces: Buffer[] = [];
  private pending = 0;
  /** Body offset of the first pending byte. */
  private offset = 0;
  /** Whether the start of the body is still to be checked for a byte order mark. */
  private atStart = true;

  /**
   * @param firstIndex index of the first record of the body
   * @param maxRecordBytes most bytes one line may hold
   */
  constructor(
    firstIndex: number,
    private readonly maxRecordBytes: number,
  ) {
    this.parser = new NdjsonParser<T>(1, firstIndex);
  }

  /**
   * Body offset where the pending line starts, when that line is already longer than
   * `maxRecordBytes` without a newline; `undefined` otherwise.
   */
  get oversizedAt(): number | undefined {
    return this.pending > this.maxRecordBytes ? this.offset : undefined;
  }

  /** Takes the next chunk of the body and adds the records of the lines it completes to `out`. */
  push(chunk: Buffer, out: SourceRecord<T>[]): void {
    this.pieces.push(chunk);
    this.pending += chunk.length;
    if (this.atStart && !this.skipBom(false)) return;
    if (chunk.indexOf(LF) < 0) return;
    const window = this.join();
    const consumed = this.parser.parse(window, this.offset, out);
    this.offset += consumed;
    this.keep(window.subarray(consumed));
  }

  /** At the end of the body: adds the record of a last line without newline to `out`. */
  end(out: SourceRecord<T>[]): void {
    if (this.atStart) this.skipBom(true);
    const rest = this.join();
    this.parser.finish(rest, this.offset, out);
    this.keep(rest.subarray(rest.length));
  }

  /**
   * Drops a byte order mark at the start of the body. Returns false while the body is shorter than
   * one and could still start with one (unless `ended`): then nothing can be parsed yet.
   */
  private skipBom(ended: boolean): boolean {
    const head = this.join();
    if (!ended && head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) {
      this.keep(head);
      return false;
    }
    this.atStart = false;
    const bom = head.length >= BOM.length && head.subarray(0, BOM.length).equals(BOM);
    this.offset += bom ? BOM.length : 0;
    this.keep(bom ? head.subarray(BOM.length) : head);
    return true;
  }

  /** All pending bytes as one buffer (a copy only when they are in several pieces). */
  private join(): Buffer {
    return this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.pending);
  }

  /** Makes `rest` the pending bytes. */
  private keep(rest: Buffer): void {
    this.pieces = rest.length === 0 ? [] : [rest];
    this.pending = rest.length;
  }
}
