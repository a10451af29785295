// Bootstrap of ketnoi's MongoDB replica set; safe to run any number of times.
//
//   mongosh --nodb --quiet --file init-replica.js
//
// Used by docker-compose.yml (service mongo-init) and, as an exact copy in a
// ConfigMap, by k8s/mongodb.yaml (Job mongo-init); a contract test keeps the
// two identical.
//
// 1. rs.initiate() the set MONGO_RS_NAME with MONGO_RS_MEMBERS, unless done.
// 2. Wait for a primary.
// 3. For every KETNOI_<SERVICE>_MONGO_PASSWORD variable, create (or update the
//    password and roles of) user "<service>" with readWrite on database
//    <KETNOI_DB_PREFIX>_<service> only: each service owns its database and
//    cannot read another's (least privilege; rotate a password by changing the
//    variable and re-running this script).
//
// Environment:
//   MONGO_RS_NAME                   replica set name (default rs0)
//   MONGO_RS_MEMBERS                host:port,host:port,... (first one is the seed)
//   MONGO_ROOT_USERNAME             created by the mongo image's first start
//   MONGO_ROOT_PASSWORD or MONGO_ROOT_PASSWORD_FILE
//   KETNOI_DB_PREFIX                database name prefix (default ketnoi)
//   KETNOI_<SERVICE>_MONGO_PASSWORD one per service

const fs = require('fs');

const env = process.env;
const rsName = env.MONGO_RS_NAME || 'rs0';
const members = (env.MONGO_RS_MEMBERS || '').split(',').map((h) => h.trim()).filter(Boolean);
const dbPrefix = env.KETNOI_DB_PREFIX || 'ketnoi';
const rootUser = env.MONGO_ROOT_USERNAME || 'root';
const rootPassword = env.MONGO_ROOT_PASSWORD
  || (env.MONGO_ROOT_PASSWORD_FILE ? fs.readFileSync(env.MONGO_ROOT_PASSWORD_FILE, 'utf8').trim() : '');

if (members.length === 0) throw new Error('MONGO_RS_MEMBERS is empty');
if (!rootPassword) throw new Error('MONGO_ROOT_PASSWORD or MONGO_ROOT_PASSWORD_FILE is required');

const NOT_YET_INITIALIZED = 94;
const ALREADY_INITIALIZED = 23;

function uri(hosts, options) {
  const credentials = `${encodeURIComponent(rootUser)}:${encodeURIComponent(rootPassword)}`;
  return `mongodb://${credentials}@${hosts}/admin?authSource=admin&${options}`;
}

// The members may still be starting (k8s starts the Job with the StatefulSet).
function connectWithRetry(target, attempts) {
  for (let i = 1; ; i += 1) {
    try {
      const db = connect(target);
      db.adminCommand({ ping: 1 });
      return db;
    } catch (e) {
      if (i >= attempts) throw e;
      print(`waiting for MongoDB (${e.message})`);
      sleep(2000);
    }
  }
}

function commandError(fn) {
  try {
    fn();
    return null;
  } catch (e) {
    return e;
  }
}

// 1. Initiate, talking to the seed member directly (there is no set yet).
const seed = connectWithRetry(uri(members[0], 'directConnection=true'), 60);
const statusError = commandError(() => seed.adminCommand({ replSetGetStatus: 1 }));
if (statusError && statusError.code !== NOT_YET_INITIALIZED) throw statusError;
if (statusError) {
  const config = { _id: rsName, members: members.map((host, i) => ({ _id: i, host })) };
  const initError = commandError(() => seed.adminCommand({ replSetInitiate: config }));
  if (initError && initError.code !== ALREADY_INITIALIZED) throw initError;
  print(`replica set ${rsName} initiated with ${members.join(', ')}`);
} else {
  print(`replica set ${rsName} already initiated`);
}

// 2. Wait for an elected primary.
for (let i = 0; !seed.adminCommand({ hello: 1 }).primary; i += 1) {
  if (i >= 120) throw new Error(`no primary in replica set ${rsName} after 120 s`);
  sleep(1000);
}

// 3. One user per service, written through the primary with majority write
//    concern so a failover right after cannot lose it.
const admin = connectWithRetry(uri(members.join(','), `replicaSet=${rsName}`), 30).getSiblingDB('admin');
const services = Object.keys(env)
  .map((name) => /^KETNOI_([A-Z0-9_]+)_MONGO_PASSWORD$/.exec(name))
  .filter(Boolean)
  .map((match) => ({ service: match[1].toLowerCase(), password: env[match[0]] }));
if (services.length === 0) throw new Error('no KETNOI_<SERVICE>_MONGO_PASSWORD variable set');

for (const { service, password } of services) {
  if (!password) throw new Error(`KETNOI_${service.toUpperCase()}_MONGO_PASSWORD is empty`);
  const roles = [{ role: 'readWrite', db: `${dbPrefix}_${service}` }];
  if (admin.getUser(service)) {
    admin.updateUser(service, { pwd: password, roles }, { w: 'majority' });
    print(`updated user ${service} (readWrite on ${dbPrefix}_${service})`);
  } else {
    admin.createUser({ user: service, pwd: password, roles }, { w: 'majority' });
    print(`created user ${service} (readWrite on ${dbPrefix}_${service})`);
  }
}
print('mongo init done');
