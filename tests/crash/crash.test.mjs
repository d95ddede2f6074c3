// The short crash test (issue 7) for `make test`: 20 SIGKILLs at 50-800 ms under the worker load, on SQLite,
// or on PostgreSQL when FAIRLABEL_TEST_PG_URL is set. The long run is `make crash` (tests/crash/crash.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashRun } from './crash.mjs';

test('killed 20 times under load: acknowledged submits kept, leases return, ledger, audit chain and database verify',
  { timeout: 180000 }, async (t) => {
    const stats = await crashRun({
      kills: 20, workers: 4,
      seed: process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : undefined,
      log: (m) => t.diagnostic(m),
    });
    t.diagnostic(JSON.stringify(stats));
    assert.equal(stats.starts, 21, 'started once and restarted after each of the 20 kills');
    assert.ok(stats.acked > 0, 'submits were acknowledged under load');
    assert.ok(stats.interrupted > 0, 'some submits lost their reply to a kill and were sent again');
  });
