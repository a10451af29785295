#!/usr/bin/env node
'use strict';
// A province's consumer of ketnoi's public events, written from events/README.md alone: it replays the
// province's history stream `history.<province>` (from the start by default), deduplicates by event id,
// checks that every event is its province's or national and carries no personal data, and prints a JSON
// summary (approved registrations by sector, booths held, MOUs signed, per edition) once the stream has
// been quiet for --idle seconds.
//
//   KETNOI_AMQP_URL=amqp://province.quang-tri:<password>@broker:5672/<vhost> KETNOI_PROVINCE=quang-tri \
//     node consumer.js [--from first|last|next|<offset>] [--idle 5] [--max-messages N] [--max-seconds S] [--dump F]
//
// Exit codes: 0 the history is clean; 1 the broker or the arguments failed; 2 an event carried personal
// data; 3 an event of another province arrived (both are ketnoi's bugs: report the event ids).

const fs = require('node:fs');
const {parseArgs} = require('node:util');
const amqp = require('amqplib');
const {findPersonalData} = require('./personal-data');
const {Summary} = require('./summary');

const NATIONAL = 'national';

function options() {
  const {values} = parseArgs({options: {
    from: {type: 'string', default: 'first'},
    idle: {type: 'string', default: '5'},
    'max-messages': {type: 'string'},
    'max-seconds': {type: 'string'},
    dump: {type: 'string'},
  }});
  const url = process.env.KETNOI_AMQP_URL;
  const province = process.env.KETNOI_PROVINCE;
  if (!url || !province) throw new Error('set KETNOI_AMQP_URL and KETNOI_PROVINCE (e.g. quang-tri)');
  return {url, province, from: streamOffset(values.from), idle: Number(values.idle) * 1000,
    maxMessages: values['max-messages'] ? Number(values['max-messages']) : Infinity,
    maxSeconds: values['max-seconds'] ? Number(values['max-seconds']) : Infinity, dump: values.dump};
}

/** `x-stream-offset` as the broker wants it: a word, or a stored offset as a 64-bit integer. */
function streamOffset(from) {
  if (['first', 'last', 'next'].includes(from)) return from;
  if (/^\d+$/.test(from)) return {'!': 'long', value: Number(from)};
  throw new Error(`--from ${from}: first, last, next or an offset you stored`);
}

async function replay({url, province, from, idle, maxMessages, maxSeconds, dump}) {
  const summary = new Summary(province);
  const problems = {personal_data: [], other_province: []};
  const dumpFile = dump ? fs.openSync(dump, 'w') : null;
  let firstOffset = null;
  let lastOffset = null;
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.prefetch(100); // a stream refuses a consumer without a prefetch
    await new Promise((resolve, reject) => {
      let idleTimer;
      const stop = () => { clearTimeout(idleTimer); clearTimeout(deadline); resolve(); };
      const deadline = setTimeout(stop, Math.min(maxSeconds * 1000, 2 ** 31 - 1));
      const wait = () => { clearTimeout(idleTimer); idleTimer = setTimeout(stop, idle); };
      channel.on('close', () => reject(new Error('the broker closed the channel (see the error above)')));
      channel.on('error', reject);
      wait();
      channel.consume(`history.${province}`, (message) => {
        if (message === null) return reject(new Error('the broker cancelled the consumer'));
        wait();
        const routingKey = message.fields.routingKey;
        const offset = Number(message.properties.headers['x-stream-offset']);
        firstOffset ??= offset;
        lastOffset = offset;
        const event = JSON.parse(message.content.toString('utf8'));
        if (dumpFile !== null) fs.writeSync(dumpFile, JSON.stringify({offset, routing_key: routingKey, event}) + '\n');
        const scope = routingKey.split('.')[0];
        if (scope !== province && scope !== NATIONAL) problems.other_province.push({id: event.id, routing_key: routingKey});
        for (const finding of findPersonalData(event)) {
          problems.personal_data.push({id: event.id, type: event.type, correlationid: event.correlationid, ...finding});
        }
        summary.add(routingKey, event);
        channel.ack(message); // acks only pace a stream: nothing is removed
        if (summary.messages >= maxMessages) stop();
      }, {noAck: false, arguments: {'x-stream-offset': from}}).catch(reject);
    });
  } finally {
    if (dumpFile !== null) fs.closeSync(dumpFile);
    await connection.close().catch(() => {});
  }
  return {...summary.toJSON(), first_offset: firstOffset, last_offset: lastOffset, ...problems};
}

async function main() {
  let result;
  try {
    result = await replay(options());
  } catch (error) {
    console.error(`error: ${error.message}`);
    return 1;
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (result.personal_data.length) {
    console.error(`PERSONAL DATA in ${result.personal_data.length} place(s) of public events: report them to ketnoi`);
    return 2;
  }
  if (result.other_province.length) {
    console.error(`${result.other_province.length} event(s) of another province reached ${result.province}`);
    return 3;
  }
  return 0;
}

main().then((code) => { process.exitCode = code; });
