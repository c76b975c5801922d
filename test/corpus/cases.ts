/**
 * The bad-input corpus: each case mixes valid metrics with one kind of bad input, so a test can
 * check both that every bad record is rejected with its position and reason and that every valid
 * record around it still lands. Texts are small and written here; the large inputs (a 20 MB line,
 * a multi-gigabyte file) are made by functions at test time.
 */
import { T0, bytes, invalid, split, swallowedIn, valid, validRun, type Entry } from './entries.js';
import type { CorpusCase } from './render.js';

/** A metric's JSON text with `val` and `time` written as given (raw JSON tokens). */
const metricText = (id: string, val: string, time: string | number = T0): string => `{"id":${JSON.stringify(id)},"val":${val},"time":${time}}`;

const NOT_JSON = /not valid JSON/;
const ID = /invalid record: .*\bid: /;
const VAL = /invalid record: .*\bval: /;
const TIME = /invalid record: .*\btime: /;
const RECORD = /invalid record: \(record\): /;
/** A CSV cell of the typed `val` column that is not a number. */
const CSV_VAL = /column "val": .* is not a number/;
/** Bytes that are not UTF-8 must be refused, not decoded into U+FFFD. */
const UTF8 = /UTF-8/i;

const malformed: CorpusCase = {
  name: 'malformed JSON and CSV',
  entries: [
    ...validRun('a', 2),
    invalid({ json: metricText('m1', 'oops'), csv: `m1,"1"x,${T0}` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: /after the closing quote/ }),
    valid('b', 1.5, T0 + 1),
    invalid({ json: `{"id":"m2" "val":1,"time":${T0}}`, csv: `m2,1,${T0},surplus` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: /has 4 fields but the header has 3/ }),
    invalid({ json: `{'id':'m3','val':1,'time':${T0}}`, csv: `m3,1.5.5,${T0}` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: CSV_VAL }),
    invalid({ json: `{"id":"m4","val":1,"time":${T0},}` }, NOT_JSON),
    invalid({ json: metricText('m5', '01') }, NOT_JSON),
    invalid({ json: `${metricText('m6', '1')}}` }, NOT_JSON),
    invalid({ json: `${metricText('m7', '1')} trailing words` }, NOT_JSON),
    // A missing closing brace is bounded by its line in NDJSON; in a JSON array it runs on (own case).
    invalid({ json: `{"id":"m8","val":1,"time":${T0}` }, { ndjson: NOT_JSON }),
    ...validRun('z', 2, 10),
  ],
};

const truncatedLine: CorpusCase = {
  name: 'truncated last line',
  cut: true,
  entries: [
    ...validRun('t', 3),
    invalid({ json: '{"id":"t9","val":1.5,"ti', csv: 't9,1.' }, { ndjson: NOT_JSON, json: /ends inside element 3/, csv: /has 2 fields but the header has 3/ }),
  ],
};

const truncatedInString: CorpusCase = {
  name: 'truncated inside a quoted string',
  cut: true,
  entries: [
    ...validRun('q', 2),
    invalid({ json: '{"id":"q9","val":1.5,"time":"17', csv: '"q9,1' }, { ndjson: NOT_JSON, json: /ends inside element 2/, csv: /ends inside quoted field/ }),
  ],
};

const unterminatedInMiddle: CorpusCase = {
  name: 'unterminated string in the middle',
  entries: [
    ...validRun('s', 2),
    invalid(
      { json: `{"id":"s9","val":1,"time":"17000`, csv: `s9,1,"17000` },
      { ndjson: NOT_JSON, json: /ends inside element 2/, csv: /ends inside quoted field/ },
    ),
    // NDJSON ends a record at its line; in a JSON array and in CSV the open string or quote runs on.
    ...validRun('r', 2, 5).map((entry) => swallowedIn(entry, 'json', 'csv')),
  ],
};

const wrongTypes: CorpusCase = {
  name: 'wrong types',
  entries: [
    valid('w0', 0.5, T0),
    invalid({ json: `{"id":true,"val":1,"time":${T0}}` }, ID),
    invalid({ json: `{"id":{},"val":1,"time":${T0}}` }, ID),
    invalid({ json: `{"id":[7],"val":1,"time":${T0}}` }, ID),
    invalid({ json: `{"id":null,"val":1,"time":${T0}}` }, ID),
    invalid({ json: metricText('w1', '"12"'), csv: `w1,abc,${T0}` }, { ndjson: VAL, json: VAL, csv: CSV_VAL }),
    invalid({ json: metricText('w2', 'true') }, VAL),
    invalid({ json: metricText('w3', 'null') }, VAL),
    invalid({ json: metricText('w4', '[1]') }, VAL),
    invalid({ json: metricText('w5', '1', 'true') }, TIME),
    invalid({ json: metricText('w6', '1', '{}') }, TIME),
    invalid({ json: metricText('w7', '1', '"yesterday"'), csv: 'w7,1,yesterday' }, TIME),
    valid('w8', 2, T0 + 8),
    invalid({ json: '42' }, RECORD),
    invalid({ json: '"hello"' }, RECORD),
    invalid({ json: 'null' }, RECORD),
    invalid({ json: '[1,2,3]' }, RECORD),
    valid('w9', 3, T0 + 9),
  ],
};

const nanInfinityEmpty: CorpusCase = {
  name: 'NaN, Infinity and empty strings',
  entries: [
    valid('n0', 1, T0),
    invalid({ json: metricText('n1', 'NaN'), csv: `n1,NaN,${T0}` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: CSV_VAL }),
    invalid({ json: metricText('n2', 'Infinity'), csv: `n2,Infinity,${T0}` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: CSV_VAL }),
    invalid({ json: metricText('n3', '-Infinity'), csv: `n3,-Infinity,${T0}` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: CSV_VAL }),
    invalid({ json: metricText('n4', '1e400'), csv: `n4,1e400,${T0}` }, { ndjson: VAL, json: VAL, csv: CSV_VAL }),
    invalid({ json: metricText('n5', '"NaN"') }, VAL),
    invalid({ json: metricText('n6', '1', '"Infinity"'), csv: 'n6,1,Infinity' }, TIME),
    invalid({ json: metricText('n7', '1', '1e400'), csv: 'n7,1,1e400' }, TIME),
    valid('n8', 2, T0 + 8),
    invalid({ json: metricText('', '1'), csv: `,1,${T0}` }, ID),
    invalid({ json: metricText('n9', '""'), csv: `n9,,${T0}` }, VAL),
    invalid({ json: metricText('n10', '1', '""'), csv: 'n10,1,' }, TIME),
    invalid({ json: metricText('n11', '1', '"   "'), csv: 'n11,1,   ' }, TIME),
    valid('n12', 3, T0 + 12),
  ],
};

/** An integer id at or beyond 2^53 has lost its value by the time JSON.parse returns it. */
const UNSAFE_ID = /invalid record: .*\bid: /;

const beyond2to53: CorpusCase = {
  name: 'numbers beyond 2^53',
  entries: [
    valid(9007199254740991, 1, T0),
    // Two different ids that JSON.parse turns into the same number: both must be refused, not merged
    // into one row. CSV keeps ids as text, so there they land exactly as written.
    split(invalid({ json: metricText('', '1', T0 + 1).replace('""', '9007199254740993') }, UNSAFE_ID), valid('9007199254740993', 1, T0 + 1)),
    split(invalid({ json: metricText('', '2', T0 + 1).replace('""', '9007199254740992') }, UNSAFE_ID), valid('9007199254740992', 2, T0 + 1)),
    split(invalid({ json: metricText('', '3', T0 + 2).replace('""', '1e21') }, UNSAFE_ID), valid('1e21', 3, T0 + 2)),
    // A measured value may round: `val` is a real.
    valid('v', 9007199254740992, T0 + 3, { json: metricText('v', '9007199254740993', T0 + 3), csv: `v,9007199254740993,${T0 + 3}` }),
    valid('huge', 1e308, T0 + 4),
    // Times past what a date can hold (±8.64e15 ms) are not times.
    invalid({ json: metricText('far', '1', '1e16'), csv: 'far,1,10000000000000000' }, TIME),
    invalid({ json: metricText('far2', '1', '123456789012345678901234567890'), csv: 'far2,1,123456789012345678901234567890' }, TIME),
    valid('after', 5, T0 + 5),
  ],
};

const extraFields: CorpusCase = {
  name: 'unknown extra fields',
  csvHeader: 'id,val,time,unit',
  entries: [
    valid('x1', 1, T0 + 1, { json: `{"id":"x1","val":1,"time":${T0 + 1},"unit":"bar","nested":{"a":[1,2]}}`, csv: `x1,1,${T0 + 1},bar` }),
    valid('x2', 2, T0 + 2, { json: `{"__proto__":{"polluted":true},"id":"x2","val":2,"time":${T0 + 2}}`, csv: `x2,2,${T0 + 2},` }),
    valid('x3', 3, T0 + 3, { json: `{"constructor":{"prototype":{"polluted":true}},"id":"x3","val":3,"time":${T0 + 3}}`, csv: `x3,3,${T0 + 3},"a,b"` }),
    valid('x4', 4, T0 + 4, { json: `{"id":"x4","":"","val":4,"time":${T0 + 4},"id2":null}`, csv: `x4,4,${T0 + 4},°C` }),
    invalid({ csv: `x5,5,${T0 + 5}` }, /has 3 fields but the header has 4/),
  ],
};

const missingFields: CorpusCase = {
  name: 'missing fields',
  entries: [
    valid('f0', 1, T0),
    invalid({ json: `{"val":1,"time":${T0}}`, csv: 'f1,1' }, { ndjson: ID, json: ID, csv: /has 2 fields but the header has 3/ }),
    invalid({ json: `{"id":"f2","time":${T0}}`, csv: 'f2' }, { ndjson: VAL, json: VAL, csv: /has 1 fields but the header has 3/ }),
    invalid({ json: '{"id":"f3","val":1}' }, TIME),
    invalid({ json: '{}' }, /invalid record: id: .*; val: .*; time: /),
    valid('f4', 2, T0 + 4),
  ],
};

/** A record whose id holds `raw` bytes that are not UTF-8. */
function badUtf8(name: string, raw: readonly number[]): Entry {
  return invalid({ json: bytes(`{"id":"${name}`, raw, `","val":1,"time":${T0}}`), csv: bytes(name, raw, `,1,${T0}`) }, UTF8);
}

const invalidUtf8: CorpusCase = {
  name: 'invalid UTF-8',
  entries: [
    valid('ü€😀', 1, T0),
    // 0xff and 0xfe would both decode to U+FFFD: accepted, they would even merge into one row.
    badUtf8('u1', [0xff]),
    badUtf8('u1', [0xfe]),
    badUtf8('u3', [0xc0, 0xaf]), // overlong "/"
    badUtf8('u4', [0xed, 0xa0, 0x80]), // an encoded surrogate
    badUtf8('u5', [0xe2, 0x82]), // a cut three-byte sequence
    invalid({ json: bytes('{"id":"u6","val":1', [0xff], `,"time":${T0}}`) }, /UTF-8|not valid JSON/i),
    valid('ok', 2, T0 + 1),
  ],
};

const withBom: CorpusCase = {
  name: 'byte order mark',
  bom: true,
  entries: [...validRun('bom', 2), invalid({ json: metricText('bad', 'x'), csv: `bad,x,${T0}` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: CSV_VAL }), ...validRun('tail', 2, 5)],
};

const crlf: CorpusCase = {
  name: 'CRLF line ends',
  newline: '\r\n',
  entries: [
    ...validRun('cr', 2),
    invalid({ json: metricText('bad', '1', '"never"'), csv: 'bad,1,never' }, TIME),
    valid('text\r\nwith breaks', 1, T0 + 7, { noCsv: true }),
    ...validRun('lf', 2, 5),
  ],
};

const crlfTruncated: CorpusCase = {
  name: 'CRLF line ends, cut last line',
  newline: '\r\n',
  cut: true,
  entries: [...validRun('cr', 2), invalid({ json: '{"id":"cut","val":', csv: 'cut,' }, { ndjson: NOT_JSON, json: /ends inside element 2/, csv: /has 2 fields but the header has 3/ })],
};

const emptyFile: CorpusCase = { name: 'empty file', entries: [], whole: { content: '', rejects: { json: /empty/ } } };

/** In CSV a line of spaces is a row of one field: as the header it lacks the typed columns. */
const blankFile: CorpusCase = {
  name: 'only blank lines',
  entries: [],
  whole: { content: '\n  \r\n\t\n\n', rejects: { json: /empty/ }, errors: { csv: /the header of .* has no column "val"/ } },
};

/** The small cases: every source and the webhook read each of them. */
export const smallCases: readonly CorpusCase[] = [
  malformed,
  truncatedLine,
  truncatedInString,
  unterminatedInMiddle,
  wrongTypes,
  nanInfinityEmpty,
  beyond2to53,
  extraFields,
  missingFields,
  invalidUtf8,
  withBom,
  crlf,
  crlfTruncated,
  emptyFile,
  blankFile,
];

/** Bytes of the single long lines of {@link hugeLineCase}. */
export const HUGE_LINE_BYTES = 20 * 1024 * 1024;

/**
 * Single lines of 20 MB: a valid record carrying a 20 MB extra field (it lands), a 20 MB malformed
 * value, and a 20 MB string where a time belongs. Made on demand: it is 60 MB per format.
 */
export function hugeLineCase(): CorpusCase {
  const pad = (char: string) => char.repeat(HUGE_LINE_BYTES);
  return {
    name: '20 MB single lines',
    csvHeader: 'id,val,time,note',
    entries: [
      valid('h0', 1, T0, { csv: `h0,1,${T0},` }),
      valid('h1', 2, T0 + 1, { json: `{"id":"h1","val":2,"time":${T0 + 1},"note":"${pad('n')}"}`, csv: `h1,2,${T0 + 1},${pad('n')}` }),
      invalid({ json: metricText('h2', pad('7') + 'x'), csv: `h2,${pad('7')}x,${T0},` }, { ndjson: NOT_JSON, json: NOT_JSON, csv: CSV_VAL }),
      invalid({ json: metricText('h3', '3', `"${pad('y')}"`), csv: `h3,3,${pad('y')},` }, TIME),
      valid('h4', 4, T0 + 4, { csv: `h4,4,${T0 + 4},` }),
    ],
  };
}
