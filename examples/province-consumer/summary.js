'use strict';
// What a province can count from its public events, per edition, following the guide's "Delivery
// guarantees": deduplicate by `id`; a participation's status is the one of its highest `version`; a booth
// is held when its latest booths event (by `time`, as allocated and released may arrive in either order)
// is an allocation; an MOU counts once however many copies arrive. What is the province's own is told by
// the routing key (`<province>.…`), not by `province` in the data: an organisation registered under a unit
// that merged into the province (quang-binh for quang-tri) is routed to it, and a national event (a foreign
// buyer's registration, an MOU between foreign parties) is not the province's.

const PARTICIPATION = 'vn.ketnoi.registration.participation.';
const ALLOCATED = 'vn.ketnoi.booths.booth.allocated.v1';
const RELEASED = 'vn.ketnoi.booths.booth.released.v1';
const MOU = 'vn.ketnoi.meetings.mou.signed.v1';

class Summary {
  constructor(province) {
    this.province = province;
    this.messages = 0;
    this.ids = new Set();
    this.types = {};
    this.routing = {};
    this.participations = new Map(); // participation_id -> latest data, of the province's own
    this.booths = new Map(); // edition_id + booth_code -> {time, held, edition}, of the province's own
    this.mous = new Map(); // mou_id -> edition_id, of MOUs with a party of the province
  }

  /** Count one delivered event; false when it is a copy of one already counted. */
  add(routingKey, event) {
    this.messages += 1;
    const scope = routingKey.split('.')[0];
    this.routing[scope] = (this.routing[scope] || 0) + 1;
    if (this.ids.has(event.id)) return false;
    this.ids.add(event.id);
    this.types[event.type] = (this.types[event.type] || 0) + 1;
    if (scope !== this.province) return true;
    const data = event.data || {};
    if (event.type.startsWith(PARTICIPATION)) {
      const known = this.participations.get(data.participation_id);
      if (!known || data.version > known.version) this.participations.set(data.participation_id, data);
    } else if (event.type === ALLOCATED || event.type === RELEASED) {
      const key = `${data.edition_id} ${data.booth_code}`;
      const known = this.booths.get(key);
      if (!known || event.time >= known.time) {
        this.booths.set(key, {time: event.time, held: event.type === ALLOCATED, edition: data.edition_id});
      }
    } else if (event.type === MOU) {
      this.mous.set(data.mou_id, data.edition_id);
    }
    return true;
  }

  edition(id) {
    let entry = this.editions[id];
    if (!entry) {
      entry = {registrations_approved: 0, registrations_approved_by_sector: {}, registrations_approved_by_role: {},
        booths_allocated: 0, mous_signed: 0};
      this.editions[id] = entry;
    }
    return entry;
  }

  /** The JSON summary: totals and, per edition, what the province's own organisations hold. */
  toJSON() {
    this.editions = {};
    for (const p of this.participations.values()) {
      if (p.status !== 'approved') continue;
      const entry = this.edition(p.edition_id);
      entry.registrations_approved += 1;
      entry.registrations_approved_by_role[p.role] = (entry.registrations_approved_by_role[p.role] || 0) + 1;
      for (const sector of p.sectors || []) {
        entry.registrations_approved_by_sector[sector] = (entry.registrations_approved_by_sector[sector] || 0) + 1;
      }
    }
    for (const booth of this.booths.values()) {
      if (booth.held) this.edition(booth.edition).booths_allocated += 1;
    }
    for (const edition of this.mous.values()) this.edition(edition).mous_signed += 1;
    const sorted = (object) => Object.fromEntries(Object.entries(object).sort());
    return {
      province: this.province,
      messages: this.messages,
      events: this.ids.size,
      duplicates: this.messages - this.ids.size,
      routing: sorted(this.routing),
      event_types: Object.keys(this.types).sort(),
      events_by_type: sorted(this.types),
      editions: sorted(this.editions),
    };
  }
}

module.exports = {Summary};
