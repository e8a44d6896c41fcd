/**
 * Packed rows ⇄ changing elements. A *changing element* (T.4 §4.2.1.2) is a pel whose colour
 * differs from the pel to its left; the pel left of the line is an imaginary white one, so a line
 * starting black has a changing element at 0. A row is kept as the strictly increasing list of
 * its changing elements: entries at even index turn the line black, at odd index white. Both
 * coders work on these lists — MH codes their differences, MR/MMR compare them with the
 * reference line's — and the lists are Int32Arrays allocated once per coder and reused.
 *
 * Every list is followed by SENTINELS copies of the width, so a coder looking for "the next
 * changing element" past the last one finds the line end without a bounds test.
 */

export const SENTINELS = 4;

/**
 * Fills `out` with the changing elements of the packed row at `data[off .. off + stride)`
 * (MSB = leftmost pel, 1 = black; `view` is a DataView of the same buffer), followed by
 * SENTINELS × width; returns their count. The row is scanned 32 pels at a time: a word equal to
 * all-white (or, inside a black run, all-black) holds no changing element, and inside a word the
 * next one is found with a count of leading zeros. Bits after the last pel are ignored.
 * `words` (optional): an Int32Array over `data.buffer` from octet 0, used to skip runs of such
 * words quickly when the row is 4-octet aligned.
 */
export function rowChanges(
  data: Uint8Array,
  view: DataView,
  off: number,
  width: number,
  stride: number,
  out: Int32Array,
  words?: Int32Array,
): number {
  const nWords = (width + 31) >>> 5;
  const nFull = width >>> 5; // words whose 32 bits are all pels of this row
  let n = 0;
  let k = 0;
  let inv = 0; // 0 while in a white run, −1 while in a black one: (raw ^ inv) has 1s at changes
  // Index of the row's first word in `words` when the row starts on a 4-octet boundary, else −1.
  const abs = data.byteOffset + off;
  const wb = words !== undefined && (abs & 3) === 0 ? abs >>> 2 : -1;
  let raw = nFull > 0 ? view.getInt32(off) : tailWord(data, off, 0, stride);
  let v = raw;
  for (;;) {
    while (v === 0) {
      if (++k < nFull && wb >= 0) {
        // Fast skip over words all of the current colour: "equal to inv" does not depend on
        // the byte order, so native-order loads do, four words per test.
        const w = words!;
        let i = wb + k;
        const lim = wb + nFull;
        while (i + 3 < lim && ((w[i]! ^ inv) | (w[i + 1]! ^ inv) | (w[i + 2]! ^ inv) | (w[i + 3]! ^ inv)) === 0) i += 4;
        while (i < lim && w[i] === inv) i++;
        k = i - wb;
      }
      if (k >= nWords) {
        for (let s = 0; s < SENTINELS; s++) out[n + s] = width;
        return n;
      }
      raw = k < nFull ? view.getInt32(off + (k << 2)) : tailWord(data, off, k, stride);
      v = raw ^ inv;
    }
    const p = Math.clz32(v);
    const x = (k << 5) + p;
    if (x >= width) break;
    out[n++] = x;
    inv = ~inv;
    // The bits right of x in this word, in the new polarity (0x7fffffff >>> 31 = 0).
    v = ~v & (0x7fffffff >>> p);
  }
  for (let s = 0; s < SENTINELS; s++) out[n + s] = width;
  return n;
}

/** The partial last word of a row (fewer than 32 pels), MSB first, from octets. */
function tailWord(data: Uint8Array, off: number, k: number, stride: number): number {
  const i = off + (k << 2);
  const m = Math.min(4, stride - (k << 2));
  let w = 0;
  for (let b = 0; b < 4; b++) w = (w << 8) | (b < m ? data[i + b]! : 0);
  return w;
}

/**
 * Writes the row described by `n` changing elements (followed by at least one sentinel = width)
 * into the ZEROED row `data[off .. off + stride)` (`view` is a DataView of the same buffer):
 * each black span [ch[2i], ch[2i+1]) is set 32 pels at a time, big-endian words being MSB-first
 * pels. Words that would reach past the row (stride not a multiple of 4) are done octet by
 * octet, so nothing outside the row is touched.
 */
export function fillRow(data: Uint8Array, view: DataView, off: number, stride: number, ch: Int32Array, n: number): void {
  const lastWord = off + (stride & ~3) - 4; // the last word wholly inside the row
  for (let k = 0; k < n; k += 2) {
    const s = ch[k]!;
    const e = ch[k + 1]!;
    const ws = off + ((s >>> 5) << 2);
    const we = off + (((e - 1) >>> 5) << 2);
    if (we > lastWord) {
      fillOctets(data, off, s, e);
      continue;
    }
    const head = -1 >>> (s & 31);
    const r = e & 31; // pels of the last word inside the span (0 = all 32)
    const tail = r === 0 ? -1 : ~(-1 >>> r);
    if (ws === we) {
      view.setInt32(ws, view.getInt32(ws) | (head & tail));
      continue;
    }
    view.setInt32(ws, view.getInt32(ws) | head);
    for (let w = ws + 4; w < we; w += 4) view.setInt32(w, -1);
    view.setInt32(we, tail);
  }
}

/** [s, e) black, octet by octet, into a zeroed row. */
function fillOctets(data: Uint8Array, off: number, s: number, e: number): void {
  let i = off + (s >>> 3);
  const j = off + (e >>> 3);
  const head = 0xff >>> (s & 7);
  if (i === j) {
    data[i] = data[i]! | (head & ~(0xff >>> (e & 7)));
    return;
  }
  data[i] = data[i]! | head;
  i++;
  while (i < j) data[i++] = 0xff;
  if ((e & 7) !== 0) data[j] = data[j]! | ((0xff00 >>> (e & 7)) & 0xff);
}
