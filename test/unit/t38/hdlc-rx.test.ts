import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T38FieldAssembler, type T38FieldEvent } from '../../../src/t38/field-assembler.js';
import type { Ifp, IfpField, T30DataType } from '../../../src/t38/ifp.js';

const d = (dataType: T30DataType, ...fields: IfpField[]): Ifp => ({ type: 't30-data', dataType, fields });
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

function run(a: T38FieldAssembler, ifps: Ifp[]): T38FieldEvent[] {
  return ifps.flatMap((i) => a.push(i));
}

describe('T38FieldAssembler', () => {
  it('assembles a V.21 burst ended by fcs-OK-sig-end (spandsp terminal style)', () => {
    const a = new T38FieldAssembler();
    const ev = run(a, [
      { type: 't30-indicator', indicator: 'v21-preamble' },
      d('v21', { type: 'hdlc-data', data: bytes(0xff) }),
      d('v21', { type: 'hdlc-data', data: bytes(0xc8, 0x21) }),
      d('v21', { type: 'hdlc-fcs-OK-sig-end' }),
      d('v21', { type: 'hdlc-fcs-OK-sig-end' }), // repeat (count 3)
      d('v21', { type: 'hdlc-fcs-OK-sig-end' }),
      { type: 't30-indicator', indicator: 'no-signal' },
    ]);
    assert.deepEqual(ev, [
      { kind: 'indicator', indicator: 'v21-preamble' },
      { kind: 'hdlc-frame', dataType: 'v21', frame: bytes(0xff, 0xc8, 0x21), ok: true, sigEnd: true },
      { kind: 'indicator', indicator: 'no-signal' },
    ]);
    assert.equal(a.getStats().repeatsIgnored, 2);
  });

  it("accepts the gateway style: fcs-OK then a separate hdlc-sig-end, and data without preamble", () => {
    const a = new T38FieldAssembler();
    const ev = run(a, [
      d('v21', { type: 'hdlc-data', data: bytes(0xff, 0xc0, 0x02) }),
      d('v21', { type: 'hdlc-fcs-OK' }),
      d('v21', { type: 'hdlc-data', data: bytes(0xff, 0xc8, 0x01) }),
      d('v21', { type: 'hdlc-fcs-OK' }),
      d('v21', { type: 'hdlc-sig-end' }),
      d('v21', { type: 'hdlc-sig-end' }),
    ]);
    assert.deepEqual(
      ev.map((e) => e.kind),
      ['hdlc-frame', 'hdlc-frame', 'hdlc-sig-end'],
    );
  });

  it('marks a frame bad when packets were lost inside it, or on fcs-BAD', () => {
    const a = new T38FieldAssembler();
    a.push(d('v21', { type: 'hdlc-data', data: bytes(0xff) }));
    a.markMissing(1);
    const ev1 = a.push(d('v21', { type: 'hdlc-fcs-OK' }));
    assert.equal(ev1[0]?.kind === 'hdlc-frame' && ev1[0].problem, 'lost-packets');
    const ev2 = run(a, [d('v21', { type: 'hdlc-data', data: bytes(0xff) }), d('v21', { type: 'hdlc-fcs-BAD-sig-end' })]);
    assert.equal(ev2[0]?.kind === 'hdlc-frame' && ev2[0].problem, 'fcs-bad');
    assert.deepEqual(a.getStats().framesBad, 2);
  });

  it('aborts a frame cut by an indicator or a data-type change, and bounds frame length', () => {
    const a = new T38FieldAssembler({ maxFrameLength: 4 });
    const ev = run(a, [
      d('v21', { type: 'hdlc-data', data: bytes(1, 2) }),
      d('v17-14400', { type: 'hdlc-data', data: bytes(1, 2, 3, 4, 5) }),
      d('v17-14400', { type: 'hdlc-fcs-OK' }),
    ]);
    assert.deepEqual(ev, [
      { kind: 'hdlc-aborted', dataType: 'v21', octets: 2, reason: 'data type changed to v17-14400' },
      { kind: 'hdlc-frame', dataType: 'v17-14400', frame: new Uint8Array(0), ok: false, problem: 'overlong', sigEnd: false },
    ]);
  });

  it('passes non-ECM image data through and reports its end once', () => {
    const a = new T38FieldAssembler();
    const ev = run(a, [
      d('v17-14400', { type: 't4-non-ecm-data', data: bytes(0, 1) }),
      d('v17-14400', { type: 't4-non-ecm-sig-end', data: bytes(2) }),
      d('v17-14400', { type: 't4-non-ecm-sig-end' }),
    ]);
    assert.deepEqual(ev, [
      { kind: 'non-ecm-data', dataType: 'v17-14400', data: bytes(0, 1) },
      { kind: 'non-ecm-data', dataType: 'v17-14400', data: bytes(2) },
      { kind: 'non-ecm-sig-end', dataType: 'v17-14400' },
    ]);
  });
});
