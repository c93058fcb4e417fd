import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotation, Command, END, START, StateGraph, interrupt, isInterrupted } from '@langchain/langgraph';
import { MongoClient } from 'mongodb';
import { createLogger } from '../../src/logger.ts';
import { createCheckpointer } from '../../workflows/checkpointer.ts';
import { uniqueMongoUri } from '../helpers/db.ts';

const State = Annotation.Root({
  seen: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
  decision: Annotation<string | null>({ reducer: (_a, b) => b, default: () => null }),
});

let client: MongoClient;
let dbName: string;
const logger = createLogger({ level: 'error' });

/** A two-step graph that pauses for a decision in between, like an approval workflow. */
async function graph() {
  const saver = await createCheckpointer(client, dbName, logger);
  const g = new StateGraph(State)
    .addNode('prepare', () => ({ seen: ['prepare'] }))
    .addNode('ask', () => ({ decision: interrupt({ question: 'approve?' }) as string, seen: ['ask'] }))
    .addNode('write', () => ({ seen: ['write'] }))
    .addEdge(START, 'prepare')
    .addEdge('prepare', 'ask')
    .addEdge('ask', 'write')
    .addEdge('write', END)
    .compile({ checkpointer: saver });
  return { g, saver };
}

beforeAll(async () => {
  const u = uniqueMongoUri('checkpointer');
  dbName = u.dbName;
  client = new MongoClient(u.uri);
  await client.connect();
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase().catch(() => undefined);
  await client?.close();
});

describe('LangGraph checkpointer on the test bed MongoDB', () => {
  it('when a run pauses and a new process resumes it, then the state is intact, each step ran once and the thread can be deleted', async () => {
    const config = { configurable: { thread_id: 'run_ckpt_1' }, durability: 'exit' as const };
    const first = await graph();
    const paused = await first.g.invoke({ seen: [] }, config);
    expect(isInterrupted(paused)).toBe(true);

    // A fresh saver, as after a restart: it finds the paused thread through the stock reads.
    const second = await graph();
    const state = await second.g.getState(config);
    expect(state.values.seen).toEqual(['prepare']);
    expect(state.tasks.some((t) => (t.interrupts?.length ?? 0) > 0)).toBe(true);
    const done = await second.g.invoke(new Command({ resume: 'approved' }), config);
    expect(done).toMatchObject({ seen: ['prepare', 'ask', 'write'], decision: 'approved' });

    // One document per checkpoint, whatever was re-sent.
    const db = client.db(dbName);
    const checkpoints = await db.collection('checkpoints').find({ thread_id: 'run_ckpt_1' }).toArray();
    expect(checkpoints.length).toBeGreaterThanOrEqual(2); // saved when each invocation ended: at the pause and at the end
    expect(new Set(checkpoints.map((c) => c.checkpoint_id)).size).toBe(checkpoints.length);

    await second.saver.deleteThread('run_ckpt_1');
    expect(await db.collection('checkpoints').countDocuments({ thread_id: 'run_ckpt_1' })).toBe(0);
    expect(await db.collection('checkpoint_writes').countDocuments({ thread_id: 'run_ckpt_1' })).toBe(0);
  });

  it('when the same writes are saved twice, then the first value is kept and there is still one document each', async () => {
    const { saver } = await graph();
    const cfg = { configurable: { thread_id: 'run_ckpt_2', checkpoint_ns: '', checkpoint_id: 'c1' } };
    await saver.putWrites(cfg, [['seen', ['first']]], 'task-a');
    await saver.putWrites(cfg, [['seen', ['second']]], 'task-a');
    const docs = await client.db(dbName).collection('checkpoint_writes').find({ thread_id: 'run_ckpt_2' }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]?.channel).toBe('seen');
    expect(JSON.parse(Buffer.from(docs[0]?.value.buffer).toString('utf8'))).toEqual(['first']);
  });
});
