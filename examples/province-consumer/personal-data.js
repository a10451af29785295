'use strict';
// A scan of one public event for personal data, which the guide ("What public events never contain")
// promises is never there: e-mail addresses, telephone numbers, fields that hold a person, and the
// name of a household business (usually its owner's name). A province's IT team runs it on every event
// because a report built on leaked contacts would itself be a leak; a finding is a bug to report to
// ketnoi (quote the event's id and correlationid), never data to keep.

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
// Vietnamese numbers: 0 or +84 / 0084, then 9 or 10 digits, spaced with blanks, dots or dashes
// ("0912 345 678", "+84 912.345.678", "028-3829-5555"). Not inside a word, so ids, codes and UUIDs pass.
const PHONE_VN = /(?<![\w+-])(?:\+84|0084|0)(?:[ .-]?\d){9,10}(?![\w-])/;
// International: + then country code and 7 to 14 more digits ("+81 90 1234 5678", "+1-202-555-0143").
const PHONE_INTL = /(?<![\w+])\+\d{1,3}(?:[ .-]?\d){7,14}(?![\w-])/;
// Keys that hold a person (or people) whatever their value looks like.
const PERSON_KEYS = new Set(['delegates', 'delegate', 'contact', 'contacts', 'full_name', 'email', 'emails',
  'phone', 'phones', 'person', 'people']);
// A `name` is a person's when it sits beside what describes a person rather than an organisation or a place.
const PERSON_SIBLINGS = ['position', 'email', 'phone', 'preferred_language', 'interpreter_language', 'date_of_birth',
  'gender', 'id_number'];

function isEmpty(value) {
  return value === null || value === undefined || value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
}

/** Every finding in `value` as {path, kind, sample}; an empty list when the event is clean. */
function findPersonalData(value, path = '$') {
  const found = [];
  if (typeof value === 'string') {
    if (EMAIL.test(value)) found.push({path, kind: 'email', sample: value.match(EMAIL)[0]});
    const phone = value.match(PHONE_VN) || value.match(PHONE_INTL);
    if (phone) found.push({path, kind: 'phone', sample: phone[0]});
    return found;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => found.push(...findPersonalData(item, `${path}[${i}]`)));
    return found;
  }
  if (value === null || typeof value !== 'object') return found;
  const kind = value.organisation_kind ?? value.kind;
  if (kind === 'household_business') {
    for (const key of ['name', 'organisation_name', 'legal_name']) {
      if (!isEmpty(value[key])) found.push({path: `${path}.${key}`, kind: 'household_business_name'});
    }
  }
  const person = PERSON_SIBLINGS.some((key) => key in value);
  for (const [key, item] of Object.entries(value)) {
    if (PERSON_KEYS.has(key) && !isEmpty(item)) found.push({path: `${path}.${key}`, kind: 'person_field'});
    else if (key === 'name' && person && !isEmpty(item)) found.push({path: `${path}.name`, kind: 'person_name'});
    found.push(...findPersonalData(item, `${path}.${key}`));
  }
  return found;
}

module.exports = {findPersonalData};
