// GET /readyz: 200 {"status":"ready"} while the database answers, 503 problem+json when it is unreachable,
// and ready again once it is back. Needs PostgreSQL (FAIRLABEL_TEST_PG_URL) to cut the database off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, run, sleep } from '../lib/server.mjs';

const PG = process.env.FAIRLABEL_TEST_PG_URL;

// An embedded SQLite file cannot be cut off from a running server, so on SQLite the suite checks the
// ready reply only; the PostgreSQL run (make test runs both) cuts the database off.
if (!PG) {
  test('readyz answers ready on SQLite', async () => {
    const srv = await startServer();
    try {
      const res = await srv.api('GET', '/readyz');
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: 'ready' });
    } finally {
      await srv.stop();
    }
  });
}

PG && test('readyz follows the database', async () => {
  const srv = await startServer();
  const dbName = new URL(srv.dbUrl).pathname.slice(1);
  const psql = (sql) => run('psql', [PG, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql]);
  try {
    const ok = await srv.api('GET', '/readyz');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { status: 'ready' });

    // No new connections to the server's database, and the existing ones are cut.
    let r = await psql(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    assert.equal(r.code, 0, r.stderr);
    r = await psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${dbName}'`);
    assert.equal(r.code, 0, r.stderr);

    let down;
    for (let i = 0; i < 20; i++) {
      down = await srv.api('GET', '/readyz');
      if (down.status === 503) break;
      await sleep(100);
    }
    assertProblem(down, 503, null, 'readyz with the database unreachable');
    const live = await srv.api('GET', '/healthz');
    assert.equal(live.status, 200, 'liveness does not depend on the database');

    r = await psql(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    assert.equal(r.code, 0, r.stderr);
    let up;
    for (let i = 0; i < 100; i++) {
      up = await srv.api('GET', '/readyz');
      if (up.status === 200) break;
      await sleep(100);
    }
    assert.equal(up.status, 200, `ready again once the database is back: ${up.text}`);
    const after = await srv.api('POST', '/api/v1/auth/login', { body: { email: 'nobody@test.example', password: 'whatever-123' } });
    assertProblem(after, 401, 'AUTH_BAD_CREDENTIALS', 'the API works again');
  } finally {
    await psql(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    await srv.stop();
  }
});
