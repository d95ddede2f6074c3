-- A worker may answer a qualification task again in a later attempt (re-qualification), so the
-- uniqueness of (task, worker) gains the attempt number.
ALTER TABLE assignments ADD COLUMN attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assignments DROP CONSTRAINT assignments_task_id_worker_id_key;
ALTER TABLE assignments ADD CONSTRAINT assignments_task_worker_attempt UNIQUE (task_id, worker_id, attempt);
