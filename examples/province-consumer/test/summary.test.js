'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const {Summary} = require('../summary');

const P = 'vn.ketnoi.registration.participation.';
const participation = (id, status, version, sectors = ['coffee']) => ({id: `${id}-${version}`,
  type: `${P}${status}.v1`, time: '2026-11-01T00:00:00+00:00',
  data: {participation_id: id, edition_id: 'e1', status, version, role: 'exhibitor', sectors}});

test('a status counts at its highest version, once per event id, and only on the province own keys', () => {
  const s = new Summary('quang-tri');
  const approved = participation('p1', 'approved', 2, ['coffee', 'agriculture']);
  s.add(`quang-tri.${approved.type}`, approved);
  s.add(`quang-tri.${approved.type}`, approved); // redelivered
  s.add(`quang-tri.${P}submitted.v1`, participation('p1', 'submitted', 1)); // late, older
  s.add(`quang-tri.${P}approved.v1`, participation('p2', 'approved', 2));
  s.add(`quang-tri.${P}cancelled.v1`, participation('p2', 'cancelled', 3));
  s.add(`national.${P}approved.v1`, participation('p3', 'approved', 2)); // a foreign buyer
  const out = s.toJSON();
  assert.equal(out.duplicates, 1);
  assert.deepEqual(out.routing, {national: 1, 'quang-tri': 5});
  assert.deepEqual(out.editions.e1, {registrations_approved: 1, registrations_approved_by_sector: {agriculture: 1,
    coffee: 1}, registrations_approved_by_role: {exhibitor: 1}, booths_allocated: 0, mous_signed: 0});
});

test('booths follow their latest event by time; an MOU counts once, when routed to the province', () => {
  const s = new Summary('quang-tri');
  const booth = (id, kind, time, code) => ({id, type: `vn.ketnoi.booths.booth.${kind}.v1`, time,
    data: {edition_id: 'e1', booth_code: code}});
  s.add('quang-tri.vn.ketnoi.booths.booth.released.v1', booth('b2', 'released', '2026-11-02T00:00:00Z', 'A-1'));
  s.add('quang-tri.vn.ketnoi.booths.booth.allocated.v1', booth('b1', 'allocated', '2026-11-01T00:00:00Z', 'A-1'));
  s.add('quang-tri.vn.ketnoi.booths.booth.allocated.v1', booth('b3', 'allocated', '2026-11-01T00:00:00Z', 'A-2'));
  const mou = (id) => ({id, type: 'vn.ketnoi.meetings.mou.signed.v1', time: '2026-11-01T00:00:00Z',
    data: {mou_id: id, edition_id: 'e1'}});
  s.add('quang-tri.vn.ketnoi.meetings.mou.signed.v1', mou('m1'));
  s.add('quang-tri.vn.ketnoi.meetings.mou.signed.v1', mou('m1')); // redelivered
  s.add('national.vn.ketnoi.meetings.mou.signed.v1', mou('m2')); // between foreign parties only
  const e1 = s.toJSON().editions.e1;
  assert.equal(e1.booths_allocated, 1);
  assert.equal(e1.mous_signed, 1);
});
