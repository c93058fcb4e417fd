import 'dotenv/config';
import { MongoClient } from 'mongodb';
import { checkDatabase, failureLine } from '../src/db/check.ts';
import { describeMongoUri } from '../src/db/connection.ts';

/** `npm run db:check`: the start-up database check on its own, against MONGODB_URI (or the first argument). */
const uri = process.argv[2] ?? process.env.MONGODB_URI;
if (!uri) {
  console.error('db:check needs MONGODB_URI (or a URI as its argument)');
  process.exit(2);
}
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
try {
  await client.connect();
  const checks = await checkDatabase(client.db());
  console.log(`database check of ${describeMongoUri(uri)}`);
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  const failed = failureLine(checks);
  if (failed) console.error(failed);
  process.exitCode = failed ? 1 : 0;
} catch (err) {
  console.error(`db:check could not run against ${describeMongoUri(uri)}: ${(err as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
