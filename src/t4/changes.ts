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

const EMPTY_WORDS = new Int32Array(0);

/**
 * Fills `out` with the changing elements of the packed row at `data[off .. off + stride)`
 * (MSB = leftmost pel, 1 = black; `view` is a DataView of the same buffer), followed by
 * SENTINELS × width; returns their count. Bits after the last pel are ignored.
 *
 * The row is read 32 pels at a time as a big-endian word `w`; the pels that differ from their
 * left neighbour are the 1 bits of `w ^ (w >>> 1 | carry)`, carry being the last pel of the word
 * before (the imaginary pel left of the line is white), and each is taken with a count of leading
 * zeros. `words` (optional): an Int32Array over `data.buffer` from octet 0; when the row starts on
 * a 4-octet boundary, a word all of the colour of the pel before it (no change inside, the
 * commonest case) is recognised from a native-order load without the byte swap.
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
  const nFull = width >>> 5; // words whose 32 bits are all pels of this row
  let n = 0;
  let carry = 0; // the last pel of the previous word, at bit 31
  const abs = data.byteOffset + off;
  // The row's first word in `words` when it starts on a 4-octet boundary, else −1.
  const wb = words !== undefined && (abs & 3) === 0 ? abs >>> 2 : -1;
  const skip = words ?? EMPTY_WORDS;
  for (let k = 0; k < nFull; k++) {
    // "Every pel equals the previous one" does not depend on the byte order.
    if (wb >= 0 && skip[wb + k] === carry >> 31) continue;
    const w = view.getInt32(off + (k << 2));
    let d = w ^ ((w >>> 1) | carry);
    carry = w << 31;
    const base = k << 5;
    while (d !== 0) {
      const p = Math.clz32(d);
      out[n] = base + p;
      n = (n + 1) | 0;
      d ^= 0x80000000 >>> p;
    }
  }
  if (nFull << 5 < width) {
    // The partial last word: changes at or after the width (padding bits) are not pels.
    const w = tailWord(data, off, nFull, stride);
    let d = w ^ ((w >>> 1) | carry);
    const base = nFull << 5;
    while (d !== 0) {
      const p = Math.clz32(d);
      if (base + p >= width) break;
      out[n] = base + p;
      n = (n + 1) | 0;
      d ^= 0x80000000 >>> p;
    }
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
