'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const {findPersonalData} = require('../personal-data');

const kinds = (event) => findPersonalData(event).map((f) => f.kind).sort();

test('a public event as the guide shows it is clean', () => {
  assert.deepEqual(findPersonalData({
    id: '9fad9396-93df-410d-b77a-9366631a0072', time: '2025-08-20T02:15:09.110783+00:00',
    subject: 'participations/66b1f0c2a1e4d3b2c1a09f38',
    data: {organisation_name: {vi: 'Công ty TNHH Cà phê Khe Sanh'}, organisation_kind: 'enterprise',
      province: 'quang-tri', sectors: ['coffee'], booth_code: 'A-12', plan_reference: '103/KH-UBND',
      expires_at: '2024-08-16T01:00:00.000000Z', starts_at: '2024-08-16T08:00:00+07:00',
      value: {amount: 1000000000, currency: 'VND'}, document_ref: 'MOU-2024-0912345678X'},
  }), []);
});

test('e-mails and Vietnamese and international phone numbers are found anywhere', () => {
  assert.deepEqual(kinds({data: {title: {vi: 'Liên hệ a.b@example.vn'}}}), ['email']);
  for (const phone of ['0912 345 678', '0912345678', '+84 912 345 678', '0084912345678', '028-3829-5555',
    '+81 90 1234 5678', '+1-202-555-0143']) {
    assert.deepEqual(kinds({data: {note: `gọi ${phone} nhé`}}), ['phone'], phone);
  }
});

test('fields that hold people, and a household business name, are found', () => {
  assert.deepEqual(kinds({data: {delegates: [{name: 'Nguyễn Văn A', position: 'Giám đốc'}]}}),
    ['person_field', 'person_name']);
  assert.deepEqual(kinds({data: {contact: 'Trần Thị B'}}), ['person_field']);
  assert.deepEqual(kinds({data: {full_name: 'Lê C'}}), ['person_field']);
  assert.deepEqual(kinds({data: {organisation_kind: 'household_business', organisation_name: {vi: 'Hộ Lê Văn D'}}}),
    ['household_business_name']);
  assert.deepEqual(kinds({data: {organisation_kind: 'household_business', organisation_name: null}}), []);
  assert.deepEqual(kinds({data: {delegates: [], contact: null}}), []);
});
