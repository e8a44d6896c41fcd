/**
 * SourceFilter (sans-IO): strict source checking (address AND port) and symmetric latching to
 * the first source of a valid UDPTL datagram (issue 9). Datagrams are built with the codecs.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeIfp } from '../../../src/t38/ifp.js';
import { encodeUdptl } from '../../../src/t38/udptl.js';
import { SourceFilter, isValidUdptl, type UdpEndpoint } from '../../../src/t38/source-filter.js';

const udptl = (seq: number, primary: Uint8Array): Uint8Array => encodeUdptl({ seq, primary, recovery: { kind: 'secondary', secondaries: [] } });
const noSignal = (seq: number): Uint8Array => udptl(seq, encodeIfp({ type: 't30-indicator', indicator: 'no-signal' }, 0));
/** Well-formed UDPTL whose IFP decodes in neither ASN.1 module. */
const badIfp = (seq: number): Uint8Array => udptl(seq, new Uint8Array([0xa0, 0x01]));

const REMOTE: UdpEndpoint = { address: '192.0.2.10', port: 4000 };
const NATTED: UdpEndpoint = { address: '198.51.100.7', port: 61234 };
const FOREIGN: UdpEndpoint = { address: '203.0.113.66', port: 4000 };

test('isValidUdptl: UDPTL and a non-empty decodable primary IFP', () => {
  assert.equal(isValidUdptl(noSignal(1)), true);
  assert.equal(isValidUdptl(badIfp(1)), false);
  assert.equal(isValidUdptl(udptl(1, new Uint8Array(0))), false);
  assert.equal(isValidUdptl(new Uint8Array([0x00, 0x01])), false);
  const trailing = new Uint8Array([...noSignal(1), 0xee]);
  assert.equal(isValidUdptl(trailing), false);
});

test('strict: only the signalled address AND port; everything else is foreign', () => {
  const f = new SourceFilter({ remote: REMOTE });
  assert.equal(f.accept(badIfp(1), REMOTE), true); // the far end's garbage is the receiver's business
  assert.equal(f.accept(noSignal(2), { address: REMOTE.address, port: 4001 }), false);
  assert.equal(f.accept(noSignal(3), { address: '192.0.2.11', port: REMOTE.port }), false);
  assert.equal(f.accept(noSignal(4), FOREIGN), false);
  assert.deepEqual(f.getStats(), { accepted: 1, foreign: 3, latches: 0 });
  assert.deepEqual(f.destination, REMOTE);
  assert.equal(f.latchedTo, undefined);
});

test('latch: invalid datagrams never latch; the first valid source is held and answered', () => {
  const f = new SourceFilter({ remote: REMOTE, latch: true });
  assert.equal(f.accept(badIfp(100), FOREIGN), false);
  assert.equal(f.accept(udptl(101, new Uint8Array(0)), FOREIGN), false);
  assert.equal(f.accept(new Uint8Array([1, 2, 3]), NATTED), false);
  assert.deepEqual(f.destination, REMOTE); // still the signalled one
  assert.equal(f.accept(noSignal(5), NATTED), true); // the far end behind NAT speaks first
  assert.deepEqual(f.latchedTo, NATTED);
  assert.deepEqual(f.destination, NATTED);
  assert.equal(f.accept(badIfp(6), NATTED), true); // held: its datagrams pass, whatever they are
  assert.equal(f.accept(noSignal(7), FOREIGN), false); // a valid one from elsewhere: foreign
  assert.equal(f.accept(noSignal(8), { address: NATTED.address, port: NATTED.port + 1 }), false);
  assert.deepEqual(f.getStats(), { accepted: 2, foreign: 5, latches: 1 });
});

test('latch: the signalled remote is always heard and takes the latch back with a valid datagram', () => {
  const f = new SourceFilter({ remote: REMOTE, latch: true });
  assert.equal(f.accept(noSignal(1), FOREIGN), true); // a spoiler got in first (documented limit)
  assert.deepEqual(f.destination, FOREIGN);
  assert.equal(f.accept(badIfp(2), REMOTE), true); // heard, but garbage does not move the latch
  assert.deepEqual(f.destination, FOREIGN);
  assert.equal(f.accept(noSignal(3), REMOTE), true);
  assert.deepEqual(f.destination, REMOTE);
  assert.equal(f.accept(noSignal(4), FOREIGN), false);
  assert.equal(f.getStats().latches, 2);
});
